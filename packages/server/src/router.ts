import type { IncomingMessage, ServerResponse } from 'node:http'
import { refuse, sendError } from './http-errors'
import type { Hub } from './hub'
import { createNodeExchange } from './node-exchange'
import { serveExchange } from './serve-exchange'
import type { ServerSettings } from './settings'

/** Why a request target is refused when no URL parser takes it. */
export const TARGET_REFUSAL = 'The request target is not a valid URL'

/**
 * The path and query of a request target; `null` for a target no URL parser accepts.
 *
 * @example
 * ```ts
 * parseTarget('/live/prices?transport=sse')?.pathname // '/live/prices'
 * ```
 */
export function parseTarget(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://localhost')
  } catch {
    return null
  }
}

/**
 * The HTTP side of a live server: `handle(request, response, next?)` serves a request under
 * `<path>/`, or at `<path>` itself (the multiplexed form; an upgrade there is the WebSocket's,
 * and left alone), and returns `true`, or calls `next` (if given: a Connect/Express middleware) and returns `false`,
 * touching nothing. A target no URL parser
 * accepts is refused (`400`) only when it starts with the path; any other is the app's.
 *
 * @example
 * ```ts
 * const handle = createRouter(settings, hub, () => closed)
 * if (!handle(request, response)) next()
 * ```
 */
export function createRouter(
  settings: ServerSettings,
  hub: Hub,
  isClosed: () => boolean,
): (request: IncomingMessage, response: ServerResponse, next?: () => void) => boolean {
  const prefix = `${settings.path}/`
  const serve = (request: IncomingMessage, response: ServerResponse): boolean => {
    const url = parseTarget(request.url)
    if (url === null) {
      // Only a target that names our path is ours to refuse; the app may know what to do
      // with any other.
      if (!request.url?.startsWith(prefix)) return false
      refuse(hub.report, response, 400, 'ERR_INVALID_REQUEST', TARGET_REFUSAL, { request })
      return true
    }
    const { pathname } = url
    // The base path itself (with or without its slash, as the upgrade) is the multiplexed form.
    const base = pathname === settings.path || pathname === prefix
    if (base && request.headers.upgrade !== undefined) return false
    if (!base && !pathname.startsWith(prefix)) return false
    if (isClosed()) {
      sendError(response, 503, 'ERR_CLOSED', 'The live server is closed')
      return true
    }
    const rest = base ? null : pathname.slice(prefix.length)
    serveExchange(createNodeExchange(request, response, url), rest, settings, hub)
    return true
  }
  return (request, response, next) => {
    const served = serve(request, response)
    if (!served) next?.()
    return served
  }
}
