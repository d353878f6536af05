import type { Hub } from './hub'
import { type PublishOptions, prepareMessage } from './message'

export type { PublishOptions }

/**
 * Checks and publishes one message (see {@link prepareMessage}); returns its id.
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
  const message = prepareMessage(channel, data, options, hub.settings.maxPayload)
  const id = nextId()
  hub.channel(channel).publish({ id, ...message })
  return id
}
