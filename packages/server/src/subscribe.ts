import type { IncomingMessage, ServerResponse } from 'node:http'
import { originRefusal } from './admission'
import { refusalOf } from './authorization'
import { backlogSize } from './channel'
import type { Headers } from './cors'
import { headersOf } from './headers'
import { refuse, sendError } from './http-errors'
import type { Hub } from './hub'
import { quote } from './quote'
import type { ServerSettings } from './settings'
import type { ChannelStart } from './transports/context'
import { HTTP_TRANSPORTS, isHttpTransport } from './transports/http-transports'
import { iframePage } from './transports/iframe'

/** The id a request resumes after. One we never issued is never found: the client gets a gap. */
function resumeId(raw: string | null | undefined): string | null {
  return raw === null || raw === undefined || raw === '' ? null : raw.slice(0, 64)
}

/**
 * Serves a `GET <path>/<channel>`: picks the transport (`?transport=`, else from `Accept`),
 * checks what that transport needs, asks `authorize`, reads where the client starts (its
 * `Last-Event-ID` or `lastEventId`, else a `replay` backlog) and hands the request to the
 * transport's `serve`.
 *
 * @example
 * ```ts
 * await subscribe({ request, response, url, channel: 'prices', cors }, settings, hub)
 * ```
 */
export async function subscribe(
  target: {
    request: IncomingMessage
    response: ServerResponse
    url: URL
    channel: string
    cors: Headers
  },
  settings: ServerSettings,
  hub: Hub,
): Promise<void> {
  const { request, response, url, channel, cors } = target
  const query = url.searchParams
  const accept = request.headers.accept ?? ''
  const asked = query.get('transport') ?? (accept.includes('application/json') ? 'polling' : 'sse')
  if (!isHttpTransport(asked) || !settings.offered.has(asked)) {
    const message = `This server does not offer ${quote(asked)}; it offers ${settings.transports.join(', ')}`
    return sendError(response, 404, 'ERR_TRANSPORT', message, cors)
  }
  const transport = asked
  const context = { transport, channel, request }
  if (transport === 'iframe') {
    // Navigations carry no Origin header: the page names its origin, and it is checked the same.
    const page = iframePage(query)
    if (page === null) {
      const message =
        'The iframe transport needs origin=<page origin> and nonce=<8 to 64 of A-Z a-z 0-9 _ ->'
      return refuse(hub.report, response, 400, 'ERR_INVALID_REQUEST', message, context)
    }
    if (!settings.originAllowed(page.origin, request)) {
      const message = originRefusal(page.origin)
      return refuse(hub.report, response, 403, 'ERR_ORIGIN', message, context)
    }
  }
  const headers = headersOf(request)
  const verdict = await hub.authorize({ ...context, action: 'subscribe', headers })
  if (verdict !== 'allowed') {
    const refusal = refusalOf(verdict, 'subscribe', channel, hub.settings.retry)
    const { status, code, message, headers: extra } = refusal
    return sendError(response, status, code, message, { ...cors, ...extra })
  }
  // The client may have gone while authorize ran: subscribing it now would leak it forever.
  if (response.destroyed || request.socket.destroyed) return
  const header = request.headers['last-event-id']
  const lastEventId = resumeId(typeof header === 'string' ? header : query.get('lastEventId'))
  // A backlog is for a subscriber without an id; history caps it.
  const replay = lastEventId === null ? backlogSize(query.get('replay')) : 0
  const start: ChannelStart = { channel, lastEventId, replay }
  HTTP_TRANSPORTS[transport]({ request, response, channels: [start], query, cors, hub })
}
