import type { Channel, Subscription } from '../channel'
import type { ChannelRefusal, ChannelStart } from './context'

/** How one channel of a request opens: refused, or with its replay and where it stands. */
export type Opening =
  | {
      channel: string
      /** `authorize` refused it: reported, nothing else. */
      refused: ChannelRefusal
    }
  | {
      channel: string
      refused?: undefined
      /** The id the client asked to resume after; `null` for a fresh subscription. */
      lastEventId: string | null
      /** What the client is owed, and its cursor. */
      subscription: Subscription
      /** The oldest id history holds, for a gap's report (`null` when it holds none). */
      oldest: string | null
    }

/**
 * Opens each channel of a request in its order (refused ones are passed through): `take`
 * subscribes (or only peeks) and gives the channel and its replay. Call it in one synchronous
 * step, so that nothing is published between two channels' replays and their subscriptions.
 *
 * @example
 * ```ts
 * const opened = openChannels(context.channels, (start) => {
 *   const channel = context.channel(start.channel)
 *   return { channel, subscription: channel.subscribe(connection, start) }
 * })
 * ```
 */
export function openChannels(
  starts: readonly ChannelStart[],
  take: (start: ChannelStart) => { channel: Channel; subscription: Subscription },
): Opening[] {
  return starts.map((start) => {
    if (start.refused) return { channel: start.channel, refused: start.refused }
    const { channel, subscription } = take(start)
    const oldest = subscription.gap ? (channel.history.oldest()?.id ?? null) : null
    return { channel: start.channel, lastEventId: start.lastEventId, subscription, oldest }
  })
}

/**
 * Whether a channel has something to tell its client now: a refusal, a gap, messages, or the
 * cursor of a fresh subscription. A long poll whose channels have nothing is held.
 *
 * @example
 * ```ts
 * if (!opened.some(saysSomething)) hold()
 * ```
 */
export function saysSomething(opening: Opening): boolean {
  if (opening.refused) return true
  const { subscription } = opening
  return opening.lastEventId === null || subscription.gap || subscription.messages.length > 0
}
