import { LiveServerError } from './errors'
import { isChannelName, isEventName } from './hub'
import { RESERVED_EVENT_PREFIX } from './protocol'
import { quote } from './quote'

/**
 * Throws `ERR_INVALID_CHANNEL` unless `channel` is a valid channel name.
 *
 * @example
 * ```ts
 * checkChannel('prices') // passes
 * checkChannel('a b') // throws LiveServerError ERR_INVALID_CHANNEL
 * ```
 */
export function checkChannel(channel: unknown): asserts channel is string {
  if (!isChannelName(channel)) {
    throw new LiveServerError(
      'ERR_INVALID_CHANNEL',
      `Channel names are 1 to 256 characters of letters, digits and _ . : @ ~ -, got ${quote(channel)}`,
    )
  }
}

/**
 * The event name a message is published under: `undefined` for the unnamed `message` event;
 * throws `ERR_INVALID_EVENT` for one that is malformed or reserved.
 *
 * @example
 * ```ts
 * checkEvent('message') // undefined
 * checkEvent('trade') // 'trade'
 * ```
 */
export function checkEvent(event: unknown): string | undefined {
  if (event === undefined || event === 'message') return undefined
  if (!isEventName(event) || event.startsWith(RESERVED_EVENT_PREFIX)) {
    throw new LiveServerError(
      'ERR_INVALID_EVENT',
      `Event names are 1 to 256 characters without line breaks and must not start with "${RESERVED_EVENT_PREFIX}", got ${quote(event)}`,
    )
  }
  return event
}
