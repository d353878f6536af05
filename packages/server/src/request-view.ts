import type { IncomingMessage } from 'node:http'
import type { Exchange } from './exchange'

/**
 * What the app's hooks typed with `IncomingMessage` (`authorize`, `origins` and `allowedHosts`
 * functions, `onError`, `message` listeners) see of a request served by `live.fetch`: its
 * method, URL (path and query), headers (lower-case names, one string each) and, when known, the
 * peer's address. It has no socket of its own: `socket.localAddress` is known only where a
 * runtime adapter tells it (Bun's listening address), so the default Host check (which applies
 * to servers on loopback only) does not apply to `live.fetch` alone: set `allowedHosts`.
 * The same view stands for a WebSocket's upgrade request on Bun and Deno.
 *
 * @example
 * ```ts
 * const request = requestView(exchange)
 * settings.originAllowed(request.headers.origin, request)
 * ```
 */
export function requestView(
  exchange: Pick<Exchange, 'method' | 'url' | 'headers' | 'address'>,
  localAddress?: string,
): IncomingMessage {
  const headers: Record<string, string> = {}
  exchange.headers.forEach((value, name) => {
    headers[name] = value
  })
  const view = {
    method: exchange.method,
    url: `${exchange.url.pathname}${exchange.url.search}`,
    headers,
    socket: { remoteAddress: exchange.address ?? undefined, localAddress },
    complete: true,
    destroyed: false,
  }
  // Only the fields above are read by the server and promised to hooks for `live.fetch`.
  return view as unknown as IncomingMessage
}
