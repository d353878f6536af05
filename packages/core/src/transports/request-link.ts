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

/**
 * A link whose connection is one request naming every channel (an SSE stream, a long poll, an
 * iframe document): joining or leaving replaces the request with one for the new set, each
 * channel from its own cursor, so nothing is lost (the server replays from history) and nothing
 * repeats (sources drop ids they have seen). Changes within one tick share one replacement.
 */
export abstract class RequestLink extends Link {
  private stop: (() => void) | null = null
  private pending: unknown = null
  private readonly timers: LiveTimers

  constructor(protected readonly context: TransportContext) {
    super()
    this.timers = context.timers
  }

  /**
   * Opens the request for the current members and returns how to abandon it. Its callbacks must
   * do nothing once abandoned.
   */
  protected abstract request(): () => void

  protected joined(_member: LinkMember): void {
    this.schedule()
  }

  protected left(_member: LinkMember): void {
    this.schedule()
  }

  protected ended(_error: LiveDataError | undefined): void {
    this.timers.clearTimeout(this.pending)
    this.pending = null
    this.stop?.()
    this.stop = null
  }

  private schedule(): void {
    if (this.pending !== null) return
    this.pending = this.timers.setTimeout(() => {
      this.pending = null
      if (this.done) return
      this.stop?.()
      this.stop = this.request()
    }, 0)
  }
}
