import { admit } from './admission'
import { corsHeaders, preflightHeaders } from './cors'
import { LiveServerError } from './errors'
import type { Exchange } from './exchange'
import { answerError, refuseExchange } from './fetch-errors'
import { createFetchExchange } from './fetch-exchange'
import { sendExchange } from './fetch-send'
import { subscribeExchange } from './fetch-subscribe'
import type { Hub } from './hub'
import { cut, quote } from './quote'
import { requestView } from './request-view'
import { routeOf } from './route-decision'
import type { ServerSettings } from './settings'

/** Answers a CORS preflight (`OPTIONS`): 204 with the methods and the headers the page asked for. */
function answerPreflight(exchange: Exchange, cors: Record<string, string>): void {
  const requested = exchange.headers.get('access-control-request-headers') ?? undefined
  exchange.respond(204, preflightHeaders(requested, cors)).end()
}

/** Routes one exchange at or under the base path: Host and Origin, the channel, then the method. */
async function route(
  exchange: Exchange,
  /** What follows `<path>/`; `null` for the base path itself (the multiplexed form). */
  rest: string | null,
  settings: ServerSettings,
  hub: Hub,
): Promise<void> {
  const request = requestView(exchange)
  const { report } = hub
  const refusal = admit(request, settings)
  if (refusal !== null) {
    const { code, message, headers } = refusal
    return refuseExchange(report, exchange, request, 403, code, message, {}, headers)
  }
  const cors = corsHeaders(request, settings.anyOrigin)
  const decision = routeOf(exchange.method, rest, settings.path)
  switch (decision.kind) {
    case 'preflight':
      return answerPreflight(exchange, cors)
    case 'send':
      return sendExchange(hub, exchange, request, decision.channel, cors)
    case 'subscribe': {
      const { channel } = decision
      return subscribeExchange({ exchange, request, channel, cors }, settings, hub)
    }
    case 'refuse': {
      const { status, code, message, channel, allow } = decision
      const headers = allow ? { ...cors, Allow: allow } : cors
      return refuseExchange(report, exchange, request, status, code, message, { channel }, headers)
    }
  }
}

/**
 * The Web-standard side of a live server: `fetch(request)` serves a request at `<path>` (the
 * multiplexed form) or under `<path>/`, and resolves with its `Response` as soon as the answer's
 * head is known (a stream's body keeps flowing). A request outside the path is answered `404`.
 *
 * @example
 * ```ts
 * const fetch = createFetchRouter(settings, hub, () => closed)
 * const response = await fetch(new Request('http://localhost/live/prices'))
 * ```
 */
export function createFetchRouter(
  settings: ServerSettings,
  hub: Hub,
  isClosed: () => boolean,
): (request: Request) => Promise<Response> {
  const prefix = `${settings.path}/`
  return (request) => {
    const { exchange, response } = createFetchExchange(request, hub.settings.maxBufferedBytes)
    const { pathname } = exchange.url
    const base = pathname === settings.path || pathname === prefix
    if (!base && !pathname.startsWith(prefix)) {
      const message = `Nothing at ${quote(cut(pathname))}: the live server serves ${settings.path || '/'}`
      answerError(exchange, 404, 'ERR_NOT_FOUND', message)
    } else if (isClosed()) {
      answerError(exchange, 503, 'ERR_CLOSED', 'The live server is closed')
    } else if (base && exchange.headers.get('upgrade') !== null) {
      const message = 'live.fetch does not serve the WebSocket; use live.attach(server)'
      answerError(exchange, 404, 'ERR_TRANSPORT', message)
    } else {
      const failed = (cause: unknown): void => {
        const error = new LiveServerError('ERR_INTERNAL', `serving ${cut(pathname)} failed`, {
          cause,
        })
        hub.report(error, { client: false, request: requestView(exchange) })
        answerError(exchange, 500, 'ERR_INTERNAL', 'Internal error')
      }
      try {
        route(exchange, base ? null : pathname.slice(prefix.length), settings, hub).catch(failed)
      } catch (cause) {
        failed(cause)
      }
    }
    return response
  }
}
