import { LiveDataError } from '../errors'
import { Link, type LinkMember } from '../link'
import type { LiveTimers, TransportContext, TransportMessage } from '../types'
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
 * The most characters of base URL and `c=` specs one request carries (each spec an encoded
 * channel, `!` and a cursor of up to 64 characters): about 6 KB, under the 8 KB request line of
 * common proxies. A client with more
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
    // The base URL (the client's query, a token in it) shares the request line.
    let used = context.baseUrl.length
    for (const channel of link.members.keys()) used += specSize(channel)
    if (used + size <= SPEC_BUDGET) return context.links.get(shardKey, create)
  }
}

/**
 * One request of a {@link RequestLink}: the channels it was built with, and what its wire reports
 * through it. Everything a request says concerns only the channels it carries: it opens them
 * alone, feeds their heartbeat alone, and a request that fails while another is on its way takes
 * only the channels it alone was to carry.
 */
export interface LinkRequest {
  /** The channels this request names, with the cursor and replay each had when it was built. */
  readonly channels: ReadonlyArray<Pick<LinkMember, 'channel' | 'cursor' | 'replay'>>
  /** The channels it names that are still on the link, with their cursors as they are now. */
  members(): LinkMember[]
  /** The request is open: it becomes the link's, and the channels it carries open. */
  ready(): void
  /** Proof of life, for the channels it carries. */
  activity(): void
  deliver(channel: string, message: TransportMessage): void
  cursor(channel: string, id: string): void
  gap(channel: string, replay?: boolean): void
  refuse(channel: string, error: LiveDataError): void
  retry(ms: number): void
  error(error: LiveDataError): void
  /** The request ended (no error: the server ended it cleanly). */
  end(error?: LiveDataError): void
}

/** A request as the link tracks it. */
interface Tracked {
  request: LinkRequest
  stop: () => void
  open: boolean
  /** The memberships it was built for (a source that left and came back is another one). */
  carried: Set<LinkMember>
}

/**
 * A link whose connection is one request naming every channel (an SSE stream, a long poll, an
 * iframe document). A join replaces the request with one for the new set, each channel from its
 * own cursor: nothing is lost (the server replays from history), nothing repeats (sources drop
 * ids they have seen). The old request goes on delivering until the new one is open, so a page
 * that adds channels never stalls the others; each request opens and feeds only the channels it
 * carries. One replacement at a time: changes that come while one is on its way are gathered
 * into the next. Joins within one tick share one replacement; a leave waits up to a second for
 * company, so that sources letting go one by one cost one request, not one each.
 */
export abstract class RequestLink extends Link {
  private current: Tracked | null = null
  private next: Tracked | null = null
  /** A replacement was asked for while one was on its way. */
  private again = false
  private pending: unknown = null
  private delay = 0
  private readonly timers: LiveTimers

  constructor(protected readonly context: TransportContext) {
    super()
    this.timers = context.timers
  }

  /**
   * Opens `request` (naming `request.channels`) and returns how to abandon it; its wire reports
   * through `request`, and does nothing once abandoned.
   */
  protected abstract start(request: LinkRequest): () => void

  protected joined(_member: LinkMember): void {
    this.schedule(0)
  }

  protected left(_member: LinkMember): void {
    this.schedule(LEAVE_DELAY)
  }

  protected ended(_error: LiveDataError | undefined): void {
    this.timers.clearTimeout(this.pending)
    this.pending = null
    for (const tracked of [this.next, this.current]) tracked?.stop()
    this.next = this.current = null
  }

  /** Replaces the request after `delay` ms, unless one scheduled with no longer a delay waits. */
  private schedule(delay: number): void {
    if (this.pending !== null && this.delay <= delay) return
    this.timers.clearTimeout(this.pending)
    this.delay = delay
    this.pending = this.timers.setTimeout(() => {
      this.pending = null
      this.replace()
    }, delay)
  }

  private replace(): void {
    if (this.done) return
    // One request on its way at a time: the change waits for it to open (or fail), so that
    // changes faster than a request opens never starve the channels. It also waits until every
    // channel the open request carries has a cursor: named fresh again, a channel would start
    // over at the new request's subscription, after what the old one may still have in flight.
    const { current } = this
    if (
      this.next ||
      (current && !current.open) ||
      (current && [...current.carried].some((m) => this.holds(m) && m.cursor === null))
    ) {
      this.again = true
      return
    }
    this.again = false
    if (this.members.size === 0) return
    const tracked = this.track()
    if (current) this.next = tracked
    else this.current = tracked
    tracked.stop = this.start(tracked.request)
  }

  /** Whether `member` is still on the link (not gone, nor replaced by a later membership). */
  private holds(member: LinkMember): boolean {
    return this.members.get(member.channel) === member
  }

  /** A request moved a channel's cursor: a replacement waiting for it may go now. */
  private moved(): void {
    if (this.again) this.replace()
  }

  private track(): Tracked {
    const link = this
    const carried = new Set(this.members.values())
    const channels = [...carried].map(({ channel, cursor, replay }) => ({
      channel,
      cursor,
      replay,
    }))
    const names = new Set(channels.map(({ channel }) => channel))
    // Its own memberships alone: a refusal or an open from it never reaches a source that left
    // and came back meanwhile (that one is the next request's).
    const own = (channel: string): boolean => {
      const member = link.members.get(channel)
      return member !== undefined && carried.has(member)
    }
    const tracked: Tracked = {
      stop: () => {},
      open: false,
      carried,
      request: {
        channels,
        members: () => [...carried].filter((member) => link.holds(member)),
        ready: () => link.ready(tracked),
        activity() {
          if (!link.alive(tracked)) return
          for (const member of this.members()) member.handlers.onActivity()
        },
        deliver(channel, message) {
          if (!link.alive(tracked) || !names.has(channel)) return
          link.deliver(channel, message)
          link.moved()
        },
        cursor(channel, id) {
          if (!link.alive(tracked) || !own(channel)) return
          link.cursor(channel, id)
          link.moved()
        },
        gap(channel, replay) {
          if (link.alive(tracked) && own(channel)) link.gap(channel, replay)
        },
        refuse(channel, error) {
          if (link.alive(tracked) && own(channel)) link.refuse(channel, error)
        },
        retry(ms) {
          if (link.alive(tracked)) link.retry(ms)
        },
        error(error) {
          if (!link.alive(tracked)) return
          for (const { channel } of this.members()) link.error(error, channel)
        },
        end: (error) => link.lost(tracked, error),
      },
    }
    return tracked
  }

  private alive(tracked: Tracked): boolean {
    return !this.done && (tracked === this.current || tracked === this.next)
  }

  private ready(tracked: Tracked): void {
    if (!this.alive(tracked) || tracked.open) return
    if (tracked === this.next && this.current) {
      this.current.stop()
      this.current = tracked
      this.next = null
    }
    tracked.open = true
    for (const member of tracked.request.members()) this.open(member.channel)
    if (this.again) this.replace()
  }

  /** A request ended: the link fails only when no other request is on its way. */
  private lost(tracked: Tracked, error: LiveDataError | undefined): void {
    if (!this.alive(tracked)) return
    tracked.stop()
    if (tracked === this.next) {
      // The replacement failed; the old request goes on. The channels only it was to carry fail.
      this.next = null
      const before = this.current?.carried ?? new Set<LinkMember>()
      for (const member of tracked.request.members()) {
        if (!before.has(member)) this.refuse(member.channel, error ?? ended())
      }
      if (!this.done && this.again) this.replace()
      return
    }
    if (this.next) {
      // The old request ended while its replacement is on its way: that one carries on.
      this.current = this.next
      this.next = null
      return
    }
    this.fail(error)
  }
}

const ended = (): LiveDataError =>
  new LiveDataError('ERR_CONNECTION_LOST', 'The request ended before it opened')
