import type { IncomingMessage } from 'node:http'
import type { Channel } from '../channel'
import type { Headers } from '../cors'
import { LiveServerError } from '../errors'
import type { Hub } from '../hub'
import type { WireErrorCode } from '../protocol'

/** Why `authorize` refused one channel of a multiplexed request, as its stream reports it. */
export interface ChannelRefusal {
  code: WireErrorCode
  message: string
}

/** Where one channel of a request starts: resuming after an id, or fresh with a backlog. */
export interface ChannelStart {
  /** The channel's name, already checked. */
  channel: string
  /** The id the client resumes after; `null` for a fresh subscription. */
  lastEventId: string | null
  /** Messages of history a fresh subscriber asks for (0 when it resumes). */
  replay: number
  /**
   * Set when `authorize` refused the channel (multiplexed requests only: a refused channel of
   * the per-channel form fails its request): it is reported, never subscribed.
   */
  refused?: ChannelRefusal
}

/**
 * How a request names its channels, which decides its frames: `single` for the per-channel
 * form `GET <path>/<channel>` (frames without channel names, as `EventSource` expects), `multi`
 * for `GET <path>?c=…&c=…` (every frame names its channel).
 */
export type RequestForm = 'single' | 'multi'

/**
 * What an HTTP transport needs to serve one request, authorised and checked, whatever runtime
 * carries it; the answer itself goes to the exchange's sink.
 */
export interface StreamContext {
  /** The request as the app's hooks see it, for `onError` reports. */
  request: IncomingMessage
  /** How the request names its channels: the frames' form. A `single` request has one channel. */
  form: RequestForm
  /**
   * The longest `!batch` event data the client reads (its `batch` parameter, multiplexed SSE
   * only), 0 when it reads one message per event.
   */
  batch: number
  /** The channels to serve, in the request's order, each from its own cursor. */
  channels: readonly ChannelStart[]
  /** The CORS headers of the answer. */
  cors: Headers
  /** The server's channels, connections and settings. */
  hub: Hub
  /**
   * The channel to subscribe to for a start of `channels`: the hub's, or with a backplane the
   * one `hub.prepare` loaded for this request.
   */
  channel(name: string): Channel
  /** The same, for a poll that only reads it: one not kept is not created (one node). */
  peek(name: string): Channel
}

/**
 * Reports a stream cut because its client fell more than a whole history behind (it resumes
 * from its ids later), as the WebSocket reports its own: a client's fault, one line.
 *
 * @example
 * ```ts
 * new SseConnection(response, settings, frames, () => reportSlow(context, 'sse'))
 * ```
 */
export function reportSlow(context: StreamContext, transport: 'sse' | 'iframe'): void {
  const { form, channels } = context
  const stream = transport === 'sse' ? 'An SSE stream' : 'An iframe stream'
  const of = form === 'multi' ? ` of ${channels.length} channels` : ''
  // A multiplexed stream is about all its channels, not one of them.
  const channel = form === 'single' ? channels[0]?.channel : undefined
  context.hub.report(
    new LiveServerError(
      'ERR_SLOW_CLIENT',
      `${stream}${of} was closed: its client fell too far behind; it may resume later`,
    ),
    { client: true, transport, channel, request: context.request },
  )
}
