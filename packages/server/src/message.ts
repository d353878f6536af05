import { LiveServerError } from './errors'
import { checkChannel, checkEvent } from './names'

/** Options of `live.publish`. */
export interface PublishOptions {
  /** The event name; omitted, the message is an unnamed (`message`) event. */
  event?: string
}

/** A message checked and serialized, before it has an id. */
export interface PreparedMessage {
  channel: string
  /** The event name, `undefined` for the default `message`. */
  event: string | undefined
  /** The payload as JSON text. */
  json: string
}

const encoder = new TextEncoder()

/**
 * Checks one message as `live.publish` does, wherever it is published from (a server, a worker
 * writing to a backplane): the channel and event names, a payload JSON can hold and that fits
 * `maxPayload` bytes; serializes it once. Throws a `LiveServerError` (`ERR_INVALID_CHANNEL`,
 * `ERR_INVALID_EVENT`, `ERR_INVALID_PAYLOAD`, `ERR_PAYLOAD_TOO_LARGE`) for anything else.
 *
 * @example
 * ```ts
 * prepareMessage('prices', { AAPL: 191.2 }, { event: 'tick' }, 65536)
 * // { channel: 'prices', event: 'tick', json: '{"AAPL":191.2}' }
 * ```
 */
export function prepareMessage(
  channel: string,
  data: unknown,
  options: PublishOptions,
  maxPayload: number,
): PreparedMessage {
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
  // Cheap length first; only a payload that might be too large is measured in bytes.
  if (json.length * 3 > maxPayload) {
    const bytes = encoder.encode(json).length
    if (bytes > maxPayload) {
      throw new LiveServerError(
        'ERR_PAYLOAD_TOO_LARGE',
        `The payload for "${channel}" is ${bytes} bytes, over maxPayload (${maxPayload})`,
      )
    }
  }
  return { channel, event, json }
}
