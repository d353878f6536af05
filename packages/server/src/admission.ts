import type { IncomingMessage } from 'node:http'
import { corsHeaders, type Headers, readableBy } from './cors'
import { hostName } from './hosts'
import { ownOrigin } from './origin'
import { quote } from './quote'
import type { ServerSettings } from './settings'

/** Why a request's `Host` or `Origin` was refused: always a 403. */
export interface AdmissionRefusal {
  code: 'ERR_HOST' | 'ERR_ORIGIN'
  message: string
  /** CORS headers that let the refused page read why, when it may (HTTP answers only). */
  headers: Headers
}

/** The name of a refused host, for its message: the parsed name, else the header cut short. */
function describeHost(header: string | undefined): string {
  if (header === undefined) return 'none'
  return quote(hostName(header) ?? header)
}

/**
 * Why a browser origin is refused, and how to fix it.
 *
 * @example
 * ```ts
 * originRefusal('https://evil.example') // 'Origin "https://evil.example" is not allowed; …'
 * ```
 */
export function originRefusal(origin: string): string {
  return `Origin ${quote(origin)} is not allowed; add it to the server's origins`
}

/**
 * Checks a request's `Host` (the DNS-rebinding defence), then its `Origin`: `null` when both
 * pass, else the refusal. The Host comes first: a rebinding page passes the Origin check as its
 * "own" origin.
 *
 * @example
 * ```ts
 * const refusal = admit(request, settings)
 * if (refusal) return sendError(response, 403, refusal.code, refusal.message, refusal.headers)
 * ```
 */
export function admit(request: IncomingMessage, settings: ServerSettings): AdmissionRefusal | null {
  const { hostAllowed, originAllowed, anyOrigin } = settings
  const origin = request.headers.origin
  if (!hostAllowed(request)) {
    // An allowed cross-origin page (reaching the server by a name it does not know) may read
    // why, or its client retries forever. Not a page whose Origin is the Host itself: that is
    // what a rebinding page looks like, and same-origin it needs no CORS anyway.
    const readable =
      origin !== undefined && !ownOrigin(origin, request) && originAllowed(origin, request)
    return {
      code: 'ERR_HOST',
      message: `Host ${describeHost(request.headers.host)} is not allowed; add it to the server's allowedHosts (a proxy on this machine that forwards the Host needs it too)`,
      headers: readable ? corsHeaders(request, anyOrigin) : {},
    }
  }
  if (origin !== undefined && !originAllowed(origin, request)) {
    // With CORS headers, so that the page can read why; the body holds nothing else.
    return { code: 'ERR_ORIGIN', message: originRefusal(origin), headers: readableBy(origin) }
  }
  return null
}
