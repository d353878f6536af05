import type { Peer } from './exchange'
import { answerError } from './exchange-errors'
import { createFetchExchange } from './fetch-exchange'
import type { Hub } from './hub'
import { cut, quote } from './quote'
import { serveExchange } from './serve-exchange'
import type { ServerSettings } from './settings'

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
): (request: Request, peer?: Peer) => Promise<Response> {
  const prefix = `${settings.path}/`
  return (request, peer) => {
    const { maxBufferedBytes } = hub.settings
    const { exchange, response } = createFetchExchange(request, maxBufferedBytes, peer)
    const { pathname } = exchange.url
    const base = pathname === settings.path || pathname === prefix
    if (!base && !pathname.startsWith(prefix)) {
      const message = `Nothing at ${quote(cut(pathname))}: the live server serves ${settings.path || '/'}`
      answerError(exchange, 404, 'ERR_NOT_FOUND', message)
    } else if (isClosed()) {
      answerError(exchange, 503, 'ERR_CLOSED', 'The live server is closed')
    } else if (base && exchange.headers.get('upgrade') !== null) {
      const message =
        'live.fetch does not serve the WebSocket; use live.attach(server) on Node, bunHandlers from @livedata/server/bun, denoHandler from @livedata/server/deno'
      answerError(exchange, 404, 'ERR_TRANSPORT', message)
    } else {
      serveExchange(exchange, base ? null : pathname.slice(prefix.length), settings, hub)
    }
    return response
  }
}
