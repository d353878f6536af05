import { LiveServerError } from './errors'
import { isChannelName } from './hub'
import { quote } from './quote'
import type { ErrorHandler } from './report'

/** Options of one channel; see {@link LiveServerOptions.channels}. */
export interface ChannelOptions {
  /**
   * `'last'` makes a latest-value channel: a subscriber that comes without an id (and without a
   * `replay` backlog) gets the channel's newest message at once, with its id, on every
   * transport, instead of waiting for the next publish; resuming subscribers are unchanged. The
   * newest message is kept even with `history: 0`, and `live.snapshot(channel)` gives its data.
   * It is the newest message of the channel whatever its event name, not one per event: after
   * `publish('prices', a, { event: 'tick' })` then `publish('prices', b, { event: 'close' })` a
   * fresh subscriber gets `b` only. Give each event whose latest value matters its own channel.
   * @example
   * ```ts
   * createLiveServer({ channels: { prices: { keep: 'last' } } })
   * ```
   */
  keep?: 'last'
}

/**
 * The `channels` option: options by channel name, or a function that gives a channel's options
 * (called once when the server first uses that channel; `undefined` for the defaults).
 * @example
 * ```ts
 * createLiveServer({ channels: { prices: { keep: 'last' } } })
 * createLiveServer({ channels: (name) => (name.startsWith('ticker:') ? { keep: 'last' } : undefined) })
 * ```
 */
export type ChannelsOption =
  | Readonly<Record<string, ChannelOptions>>
  | ((channel: string) => ChannelOptions | undefined)

const KEYS = new Set(['keep'])

/** What is wrong with one channel's options, or `null` when they are fine. */
function problem(options: unknown): string | null {
  if (options === undefined) return null
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return `must be an object like { keep: 'last' }, got ${options === null ? 'null' : typeof options}`
  }
  const unknown = Object.keys(options).filter((key) => !KEYS.has(key))
  if (unknown.length > 0) return `has unknown options ${unknown.join(', ')} (known: keep)`
  const { keep } = options as ChannelOptions
  if (keep !== undefined && keep !== 'last') {
    return `keep must be 'last' or absent, got ${quote(keep)}`
  }
  return null
}

/**
 * Checks the `channels` option and returns whether a channel keeps its latest value. A bad
 * record throws `ERR_INVALID_OPTIONS` at once; a function is asked per channel, and an answer
 * it gets wrong (or a throw) is reported to `onError` and counts as the defaults.
 *
 * @example
 * ```ts
 * const keepsLast = channelPolicy({ prices: { keep: 'last' } }, report)
 * keepsLast('prices') // true
 * ```
 */
export function channelPolicy(
  option: ChannelsOption | undefined,
  report: ErrorHandler,
): (channel: string) => boolean {
  if (option === undefined) return () => false
  if (typeof option === 'function') {
    return (channel) => {
      let options: unknown
      try {
        options = option(channel)
      } catch (cause) {
        const error = new LiveServerError(
          'ERR_INVALID_OPTIONS',
          `channels("${channel}") threw; the channel has the default options`,
          { cause },
        )
        report(error, { client: false, channel })
        return false
      }
      const wrong = problem(options)
      if (wrong === null) return (options as ChannelOptions | undefined)?.keep === 'last'
      report(
        new LiveServerError(
          'ERR_INVALID_OPTIONS',
          `channels("${channel}") ${wrong}; the channel has the default options`,
        ),
        { client: false, channel },
      )
      return false
    }
  }
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new LiveServerError(
      'ERR_INVALID_OPTIONS',
      "channels must be an object of options by channel name ({ prices: { keep: 'last' } }) or a function of the name",
    )
  }
  const keepLast = new Set<string>()
  for (const [name, options] of Object.entries(option)) {
    if (!isChannelName(name)) {
      throw new LiveServerError(
        'ERR_INVALID_OPTIONS',
        `channels names ${quote(name)}, which is not a channel name (1 to 256 of letters, digits and _ . : @ ~ -)`,
      )
    }
    const wrong = problem(options)
    if (wrong !== null) {
      throw new LiveServerError('ERR_INVALID_OPTIONS', `channels.${name} ${wrong}`)
    }
    if (options?.keep === 'last') keepLast.add(name)
  }
  return (channel) => keepLast.has(channel)
}
