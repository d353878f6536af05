import type { LiveDataError } from '../errors'
import { Link, type LinkMember } from '../link'
import type { LiveTimers, TransportContext } from '../types'
import { withParam } from './http'

/**
 * The URL of one request for every member's channel (docs/protocol.md, "One request for every
 * channel"): `<base>?transport=<name>&c=<channel>` for a fresh channel, `c=<channel>!<id>` to
 * resume after an id, `c=<channel>*<n>` for a fresh one with a backlog.
 *
 * @example
 * ```ts
 * channelsUrl('/live', 'sse', [{ channel: 'prices', cursor: '1-0' }, { channel: 'news', replay: 5 }])
 * // '/live?transport=sse&c=prices!1-0&c=news*5'
 * ```
 */
export function channelsUrl(
  base: string,
  transport: string,
  members: Iterable<Pick<LinkMember, 'channel' | 'cursor' | 'replay'>>,
): string {
  let url = withParam(base, 'transport', transport)
  for (const { channel, cursor, replay } of members) {
    const spec = cursor ? `${channel}!${cursor}` : replay ? `${channel}*${replay}` : channel
    url = withParam(url, 'c', spec)
  }
  return url
}

/** How long a leave may wait for company before the request is replaced without it, in ms. */
const LEAVE_DELAY = 1000

/**
 * The most characters of `c=` specs one request carries (encoded channel, `!`, a cursor of up to
 * 64 characters): about 6 KB, under the 8 KB request line of common proxies. A client with more
 * channels opens a second request for the rest (another link), then a third.
 */
export const SPEC_BUDGET = 6000

const specSize = (channel: string): number => encodeURIComponent(channel).length + 68

/**
 * The request link `context`'s channel joins: the first of the links under `key` (then
 * `key #1`, `key #2`…) whose request has room for it (see {@link SPEC_BUDGET}), made by
 * `create` when none has.
 *
 * @example
 * ```ts
 * const link = requestLinkFor(context, `sse ${context.baseUrl}`, () => new SseLink(context))
 * ```
 */
export function requestLinkFor<L extends RequestLink>(
  context: TransportContext,
  key: string,
  create: () => L,
): L {
  const size = specSize(context.key)
  for (let shard = 0; ; shard++) {
    const shardKey = shard === 0 ? key : `${key} #${shard}`
    const link = context.links.find(shardKey)
    if (!link || link.members.has(context.key)) return context.links.get(shardKey, create)
    let used = 0
    for (const channel of link.members.keys()) used += specSize(channel)
    if (used + size <= SPEC_BUDGET) return context.links.get(shardKey, create)
  }
}

/**
 * A link whose connection is one request naming every channel (an SSE stream, a long poll, an
 * iframe document): joining replaces the request with one for the new set, each channel from
 * its own cursor, so nothing is lost (the server replays from history) and nothing repeats
 * (sources drop ids they have seen). The old request goes on delivering until the new one is
 * open, so a page that changes its channels often never stalls the others. Joins within one tick
 * share one replacement; a leave waits up to a second for company (its channel's messages are
 * dropped meanwhile), so that sources letting go one by one cost one request, not one each.
 */
export abstract class RequestLink extends Link {
  /** Abandons the request that is open (or the first, while it opens). */
  private current: (() => void) | null = null
  /** Abandons the replacement that is not open yet. */
  private next: (() => void) | null = null
  private pending: unknown = null
  private delay = 0
  private readonly timers: LiveTimers

  constructor(protected readonly context: TransportContext) {
    super()
    this.timers = context.timers
  }

  /**
   * Opens the request for the current members and returns how to abandon it. It calls `ready`
   * once it is open (before telling the members), and its callbacks do nothing once abandoned.
   */
  protected abstract request(ready: () => void): () => void

  protected joined(_member: LinkMember): void {
    this.schedule(0)
  }

  protected left(_member: LinkMember): void {
    this.schedule(LEAVE_DELAY)
  }

  protected ended(_error: LiveDataError | undefined): void {
    this.timers.clearTimeout(this.pending)
    this.pending = null
    for (const stop of [this.next, this.current]) stop?.()
    this.next = this.current = null
  }

  /** Replaces the request after `delay` ms, unless one scheduled with no longer a delay waits. */
  private schedule(delay: number): void {
    if (this.pending !== null && this.delay <= delay) return
    this.timers.clearTimeout(this.pending)
    this.delay = delay
    this.pending = this.timers.setTimeout(() => {
      this.pending = null
      if (!this.done) this.replace()
    }, delay)
  }

  private replace(): void {
    // A replacement that never opened is dropped for this one; the open request stays.
    this.next?.()
    let stop: (() => void) | null = null
    let early = false
    const ready = (): void => {
      if (stop === null) {
        early = true // open inside request(): promoted once it returned
        return
      }
      if (this.next !== stop) return
      this.current?.()
      this.current = stop
      this.next = null
    }
    stop = this.request(ready)
    if (this.current === null) this.current = stop
    else {
      this.next = stop
      if (early) ready()
    }
  }
}
