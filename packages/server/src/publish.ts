import { LiveServerError } from './errors'
import type { Hub } from './hub'
import { checkChannel, checkEvent } from './names'

/** Options of `live.publish`. */
export interface PublishOptions {
  /** The event name; omitted, the message is an unnamed (`message`) event. */
  event?: string
}

/**
 * Checks and publishes one message: the channel and event names, a payload JSON can hold and
 * that fits `maxPayload`; returns its id. Throws a `LiveServerError` for anything else.
 *
 * @example
 * ```ts
 * const id = publish(hub, nextId, 'prices', { AAPL: 191.2 }, {})
 * ```
 */
export function publish(
  hub: Hub,
  nextId: () => string,
  channel: string,
  data: unknown,
  options: PublishOptions,
): string {
  checkChannel(channel)
  const event = checkEvent(options.event)
  let json: string | undefined
  try {
    json = JSON.stringify(data)
  } catch (cause) {
    throw new LiveServerError(
      'ERR_INVALID_PAYLOAD',
      `The payload for "${channel}" cannot be serialized to JSON`,
      { cause },
    )
  }
  if (json === undefined) {
    throw new LiveServerError(
      'ERR_INVALID_PAYLOAD',
      `The payload for "${channel}" is ${typeof data}, which JSON cannot hold`,
    )
  }
  const { maxPayload } = hub.settings
  // Cheap length first; only a payload that might be too large is measured in bytes.
  if (json.length * 3 > maxPayload && Buffer.byteLength(json) > maxPayload) {
    throw new LiveServerError(
      'ERR_PAYLOAD_TOO_LARGE',
      `The payload for "${channel}" is ${Buffer.byteLength(json)} bytes, over maxPayload (${maxPayload})`,
    )
  }
  const id = nextId()
  hub.channel(channel).publish({ id, channel, event, json })
  return id
}
