import { originRefusal } from './admission'
import { retryAfter } from './authorization'
import { batchLimitOf } from './batch-limit'
import { backlogSize } from './channel'
import { resumeId } from './channel-set'
import type { Headers } from './cors'
import type { Exchange } from './exchange'
import { answerError, refuseExchange } from './exchange-errors'
import { headersOf } from './headers'
import type { Hub, ServerTransport } from './hub'
import { quote } from './quote'
import type { PreparedChannels } from './replicas'
import type { ServerSettings } from './settings'
import { authorizeStarts, namedChannels } from './subscribe-request'
import type { ChannelStart, RequestForm, StreamContext } from './transports/context'
import { iframePage, streamIframe } from './transports/iframe'
import { answerLongPoll, answerPoll, type PollAnswer } from './transports/poll'
import { SSE_HEADERS, streamSse } from './transports/sse'

/** The transports served over plain HTTP requests: every one but WebSocket. */
type HttpTransport = Exclude<ServerTransport, 'websocket'>
export const HTTP_TRANSPORTS: ReadonlySet<string> = new Set<HttpTransport>([
  'sse',
  'long-polling',
  'polling',
  'iframe',
])

/** A subscribing `GET`, routed. */
export interface SubscribeTarget {
  exchange: Exchange
  /** The channel of `GET <path>/<channel>`; `null` for `GET <path>?c=…`. */
  channel: string | null
  cors: Headers
}

/** Where the one channel of `GET <path>/<channel>` starts: `Last-Event-ID`, `lastEventId`, `replay`. */
function singleStart(exchange: Exchange, channel: string): ChannelStart {
  const query = exchange.url.searchParams
  const lastEventId = resumeId(exchange.headers.get('last-event-id') ?? query.get('lastEventId'))
  // A backlog is for a subscriber without an id; history caps it.
  const replay = lastEventId === null ? backlogSize(query.get('replay')) : 0
  return { channel, lastEventId, replay }
}

/** The transport asked (`?transport=`, else from `Accept`), or `null` once refused. */
function pickTransport(
  target: SubscribeTarget,
  settings: ServerSettings,
  hub: Hub,
): HttpTransport | null {
  const { exchange, channel, cors } = target
  const { request } = exchange
  const accept = exchange.headers.get('accept') ?? ''
  const asked =
    exchange.url.searchParams.get('transport') ??
    (accept.includes('application/json') ? 'polling' : 'sse')
  const offered = settings.offered as ReadonlySet<string>
  if (!HTTP_TRANSPORTS.has(asked) || !offered.has(asked)) {
    const message = `This server does not offer ${quote(asked)}; it offers ${settings.transports.join(', ')}`
    answerError(exchange, 404, 'ERR_TRANSPORT', message, cors)
    return null
  }
  if (asked === 'iframe') {
    const context = { transport: 'iframe' as const, channel: channel ?? undefined }
    // Navigations carry no Origin header: the page names its origin, and it is checked the same.
    const page = iframePage(exchange.url.searchParams)
    if (page === null) {
      const message =
        'The iframe transport needs origin=<page origin> and nonce=<8 to 64 of A-Z a-z 0-9 _ ->'
      refuseExchange(hub.report, exchange, 400, 'ERR_INVALID_REQUEST', message, context)
      return null
    }
    if (!settings.originAllowed(page.origin, request)) {
      const message = originRefusal(page.origin)
      refuseExchange(hub.report, exchange, 403, 'ERR_ORIGIN', message, context)
      return null
    }
  }
  return asked as HttpTransport
}

/**
 * Serves a subscribing `GET`, in either form, on every runtime:
 *
 * - `GET <path>/<channel>` (the per-channel form): `authorize` refusing the channel refuses the
 *   request (`403`/`503`); the client starts from its `Last-Event-ID` or `lastEventId`, else a
 *   `replay` backlog.
 * - `GET <path>?c=<spec>&c=…` (the multiplexed form): the specs are checked first (one `400`
 *   names the first problem); each channel is authorized apart, in parallel, and one refused is
 *   reported in the answer while the others are served.
 *
 * Then the request goes to its transport (SSE, the iframe, long polling, polling), unless the
 * client left while `authorize` ran (subscribing it then would leak it).
 *
 * @example
 * ```ts
 * await subscribe({ exchange, channel: 'prices', cors }, settings, hub)
 * ```
 */
export async function subscribe(
  target: SubscribeTarget,
  settings: ServerSettings,
  hub: Hub,
): Promise<void> {
  const { exchange, channel, cors } = target
  const { request } = exchange
  let starts: ChannelStart[]
  if (channel === null) {
    const named = namedChannels(settings, exchange.url.searchParams.getAll('c'))
    if ('problem' in named) {
      const { report } = hub
      const { problem } = named
      return refuseExchange(report, exchange, 400, 'ERR_INVALID_REQUEST', problem, {}, cors)
    }
    starts = named.starts
  } else {
    starts = [singleStart(exchange, channel)]
  }
  const transport = pickTransport(target, settings, hub)
  if (transport === null) return
  const asking = { transport, request, headers: headersOf(request) }
  const checked = await authorizeStarts(hub, starts, asking, channel !== null)
  if ('refusal' in checked) {
    const { status, code, message, headers: extra } = checked.refusal
    return answerError(exchange, status, code, message, { ...cors, ...extra })
  }
  starts = checked.starts
  // With a backplane, each channel is loaded from the shared log (and has reached the id its
  // client resumes from) before the transport subscribes to it in one synchronous step.
  const loading = hub.prepare(starts.filter((start) => start.refused === undefined))
  let prepared: PreparedChannels | null = null
  if (loading !== null) {
    const retry = { 'Retry-After': retryAfter(hub.settings.retry) }
    try {
      prepared = await loading
    } catch (error) {
      const message = error instanceof Error ? error.message : 'The backplane failed'
      return answerError(exchange, 503, 'ERR_BACKPLANE', message, { ...cors, ...retry })
    }
    // From here to the subscriptions is one synchronous step: what is current now stays so.
    if (!prepared.current) {
      const message = 'A channel was lost from the backplane as it loaded; try again'
      return answerError(exchange, 503, 'ERR_BACKPLANE', message, { ...cors, ...retry })
    }
  }
  // The client may have gone while authorize ran: subscribing it now would leak it forever.
  if (exchange.closed.aborted) return
  const form: RequestForm = channel === null ? 'multi' : 'single'
  const context: StreamContext = {
    request,
    form,
    batch: form === 'multi' && transport === 'sse' ? batchLimitOf(exchange.url.search) : 0,
    channels: starts,
    cors,
    hub,
    // The very channels prepare loaded: never a replica made since (a dropped one's successor).
    channel: (name) => prepared?.get(name) ?? hub.channel(name),
    peek: (name) => prepared?.get(name) ?? hub.peek(name),
  }
  const closed = (listener: () => void): void =>
    exchange.closed.addEventListener('abort', listener, { once: true })
  if (transport === 'iframe') {
    const page = iframePage(exchange.url.searchParams)
    if (page !== null) closed(streamIframe(context, page, exchange.respond))
    return
  }
  if (transport === 'sse') {
    closed(streamSse(context, exchange.respond(200, { ...cors, ...SSE_HEADERS })))
    return
  }
  const io: PollAnswer = {
    respond: exchange.respond,
    // The head of a held long poll goes out now: the client counts it as open.
    hold: (status, headers) => exchange.respond(status, headers, true),
    closed,
    ifNoneMatch: exchange.headers.get('if-none-match') ?? undefined,
  }
  if (transport === 'polling') answerPoll(context, io)
  else answerLongPoll(context, io)
}
