import type { IncomingMessage, ServerResponse } from 'node:http'
import { originRefusal } from './admission'

import { backlogSize } from './channel'
import { resumeId } from './channel-set'
import type { Headers } from './cors'
import { headersOf } from './headers'
import { refuse, sendError } from './http-errors'
import type { Hub } from './hub'
import { quote } from './quote'
import type { ServerSettings } from './settings'
import { authorizeStarts, namedChannels } from './subscribe-request'
import type { ChannelStart, ServeContext } from './transports/context'
import { HTTP_TRANSPORTS, type HttpTransport, isHttpTransport } from './transports/http-transports'
import { iframePage } from './transports/iframe'

/** A subscribing request, routed: a channel for the per-channel form, `null` for the base path. */
export interface SubscribeTarget {
  request: IncomingMessage
  response: ServerResponse
  url: URL
  /** The channel of `GET <path>/<channel>`; `null` for `GET <path>?c=…` (every channel named). */
  channel: string | null
  cors: Headers
}

/**
 * Picks the transport (`?transport=`, else from `Accept`) and checks what it needs (the iframe's
 * page origin and nonce); answers the refusal and returns `null` when it cannot be served.
 */
function pickTransport(
  target: SubscribeTarget,
  settings: ServerSettings,
  hub: Hub,
): HttpTransport | null {
  const { request, response, url, channel, cors } = target
  const query = url.searchParams
  const accept = request.headers.accept ?? ''
  const asked = query.get('transport') ?? (accept.includes('application/json') ? 'polling' : 'sse')
  if (!isHttpTransport(asked) || !settings.offered.has(asked)) {
    const message = `This server does not offer ${quote(asked)}; it offers ${settings.transports.join(', ')}`
    sendError(response, 404, 'ERR_TRANSPORT', message, cors)
    return null
  }
  if (asked === 'iframe') {
    const context = { transport: asked, channel: channel ?? undefined, request }
    // Navigations carry no Origin header: the page names its origin, and it is checked the same.
    const page = iframePage(query)
    if (page === null) {
      const message =
        'The iframe transport needs origin=<page origin> and nonce=<8 to 64 of A-Z a-z 0-9 _ ->'
      refuse(hub.report, response, 400, 'ERR_INVALID_REQUEST', message, context)
      return null
    }
    if (!settings.originAllowed(page.origin, request)) {
      refuse(hub.report, response, 403, 'ERR_ORIGIN', originRefusal(page.origin), context)
      return null
    }
  }
  return asked
}

/** Where the one channel of `GET <path>/<channel>` starts: `Last-Event-ID`, `lastEventId`, `replay`. */
function singleStart(
  request: IncomingMessage,
  query: URLSearchParams,
  channel: string,
): ChannelStart {
  const header = request.headers['last-event-id']
  const lastEventId = resumeId(typeof header === 'string' ? header : query.get('lastEventId'))
  // A backlog is for a subscriber without an id; history caps it.
  const replay = lastEventId === null ? backlogSize(query.get('replay')) : 0
  return { channel, lastEventId, replay }
}

/**
 * Serves a subscribing `GET`, in either form:
 *
 * - `GET <path>/<channel>` (the per-channel form): `authorize` refusing the channel refuses the
 *   request (`403`/`503`); the client starts from its `Last-Event-ID` or `lastEventId`, else a
 *   `replay` backlog.
 * - `GET <path>?c=<spec>&c=…` (the multiplexed form): the specs are checked first (one `400`
 *   names the first problem); each channel is authorized apart, in parallel, and one refused is
 *   reported in the answer while the others are served.
 *
 * Then the request goes to its transport's `serve`, unless the client left while `authorize`
 * ran (subscribing it then would leak it).
 *
 * @example
 * ```ts
 * await subscribe({ request, response, url, channel: 'prices', cors }, settings, hub)
 * ```
 */
export async function subscribe(
  target: SubscribeTarget,
  settings: ServerSettings,
  hub: Hub,
): Promise<void> {
  const { request, response, url, channel, cors } = target
  const query = url.searchParams
  let starts: ChannelStart[]
  if (channel === null) {
    const named = namedChannels(settings, query.getAll('c'))
    if ('problem' in named) {
      const { problem } = named
      return refuse(hub.report, response, 400, 'ERR_INVALID_REQUEST', problem, { request }, cors)
    }
    starts = named.starts
  } else {
    starts = [singleStart(request, query, channel)]
  }
  const transport = pickTransport(target, settings, hub)
  if (transport === null) return
  const asking = { transport, request, headers: headersOf(request) }
  const checked = await authorizeStarts(hub, starts, asking, channel !== null)
  if ('refusal' in checked) {
    const { status, code, message, headers: extra } = checked.refusal
    return sendError(response, status, code, message, { ...cors, ...extra })
  }
  starts = checked.starts
  // The client may have gone while authorize ran: subscribing it now would leak it forever.
  if (response.destroyed || request.socket.destroyed) return
  const context: ServeContext = {
    request,
    response,
    form: channel === null ? 'multi' : 'single',
    channels: starts,
    query,
    cors,
    hub,
  }
  HTTP_TRANSPORTS[transport](context)
}
