import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Headers } from '../cors'
import { LiveServerError } from '../errors'
import type { Hub } from '../hub'

/** Where one channel of a request starts: resuming after an id, or fresh with a backlog. */
export interface ChannelStart {
  /** The channel's name, already checked. */
  channel: string
  /** The id the client resumes after; `null` for a fresh subscription. */
  lastEventId: string | null
  /** Messages of history a fresh subscriber asks for (0 when it resumes). */
  replay: number
}

/**
 * Everything an HTTP transport needs to serve one request, authorised and checked: the same
 * shape for every transport, so that they are dispatched through one table.
 */
export interface ServeContext {
  request: IncomingMessage
  response: ServerResponse
  /**
   * The channels to serve, each from its own cursor. A request carries exactly one today (the
   * `<path>/<channel>` form); a request naming a set of channels will carry several.
   */
  channels: readonly ChannelStart[]
  /** The request's query, for what a transport alone reads (the iframe's origin and nonce). */
  query: URLSearchParams
  /** The CORS headers of the answer. */
  cors: Headers
  /** The server's channels, connections and settings. */
  hub: Hub
}

/** Serves a request on one HTTP transport. Never throws for a client's fault. */
export type Serve = (context: ServeContext) => void

/**
 * The one channel of a request, for the transports that serve one channel per request.
 *
 * @example
 * ```ts
 * const { channel, lastEventId, replay } = onlyChannel(context)
 * ```
 */
export function onlyChannel(context: ServeContext): ChannelStart {
  const [first, ...rest] = context.channels
  if (first === undefined || rest.length > 0) {
    throw new Error(`a request serves one channel, got ${context.channels.length}`)
  }
  return first
}

/**
 * Reports a stream cut because its client fell more than a whole history behind (it resumes
 * from its ids later), as the WebSocket reports its own: a client's fault, one line.
 *
 * @example
 * ```ts
 * new SseConnection(response, settings, () => reportSlow(context, 'sse', 'prices'))
 * ```
 */
export function reportSlow(
  context: ServeContext,
  transport: 'sse' | 'iframe',
  channel: string,
): void {
  context.hub.report(
    new LiveServerError(
      'ERR_SLOW_CLIENT',
      `${transport === 'sse' ? 'An SSE stream' : 'An iframe stream'} was closed: its client fell too far behind; it may resume later`,
    ),
    { client: true, transport, channel, request: context.request },
  )
}
