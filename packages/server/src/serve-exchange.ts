import { admit } from './admission'
import { corsHeaders, preflightHeaders } from './cors'
import { LiveServerError } from './errors'
import type { Exchange } from './exchange'
import { answerError, refuseExchange } from './exchange-errors'
import type { Hub } from './hub'
import { cut } from './quote'
import { routeOf } from './route-decision'
import { acceptSend } from './sends'
import type { ServerSettings } from './settings'
import { subscribe } from './subscribe'

/** Answers a CORS preflight (`OPTIONS`): 204 with the methods and the headers the page asked for. */
function answerPreflight(exchange: Exchange, cors: Record<string, string>): void {
  const requested = exchange.headers.get('access-control-request-headers') ?? undefined
  exchange.respond(204, preflightHeaders(requested, cors)).end()
}

/** Routes one exchange at or under the base path: Host and Origin, the channel, then the method. */
async function route(
  exchange: Exchange,
  rest: string | null,
  settings: ServerSettings,
  hub: Hub,
): Promise<void> {
  const { report } = hub
  const refusal = admit(exchange.request, settings)
  if (refusal !== null) {
    const { code, message, headers } = refusal
    return refuseExchange(report, exchange, 403, code, message, {}, headers)
  }
  const cors = corsHeaders(exchange.request, settings.anyOrigin)
  const decision = routeOf(exchange.method, rest, settings.path)
  switch (decision.kind) {
    case 'preflight':
      return answerPreflight(exchange, cors)
    case 'send':
      return acceptSend(hub, exchange, decision.channel, cors)
    case 'subscribe':
      return subscribe({ exchange, channel: decision.channel, cors }, settings, hub)
    case 'refuse': {
      const { status, code, message, channel, allow } = decision
      const headers = allow ? { ...cors, Allow: allow } : cors
      return refuseExchange(report, exchange, status, code, message, { channel }, headers)
    }
  }
}

/**
 * Serves one exchange at or under the base path, whatever runtime carries it (`node:http`'s
 * router and `live.fetch` both end here): Host and Origin, then a preflight, a send or a
 * subscribe. `rest` is what follows `<path>/`, `null` for the base path itself (the multiplexed
 * form). Never throws: what fails inside is reported and answered `500 ERR_INTERNAL`.
 *
 * @example
 * ```ts
 * serveExchange(createNodeExchange(request, response, url), 'prices', settings, hub)
 * ```
 */
export function serveExchange(
  exchange: Exchange,
  rest: string | null,
  settings: ServerSettings,
  hub: Hub,
): void {
  const failed = (cause: unknown): void => {
    const { pathname } = exchange.url
    const error = new LiveServerError('ERR_INTERNAL', `serving ${cut(pathname)} failed`, { cause })
    hub.report(error, { client: false, request: exchange.request })
    answerError(exchange, 500, 'ERR_INTERNAL', 'Internal error')
  }
  try {
    route(exchange, rest, settings, hub).catch(failed)
  } catch (cause) {
    failed(cause)
  }
}
