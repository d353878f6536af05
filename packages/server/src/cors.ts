import type { IncomingMessage } from 'node:http'

/** Response headers, by name. */
export type Headers = Record<string, string>

/**
 * The CORS headers of an answer to `request`: none without an `Origin`; `*` without credentials
 * when any origin may connect (`origins: '*'`); else the origin itself, with credentials. Call it
 * only once the origin is allowed.
 *
 * @example
 * ```ts
 * corsHeaders(request, false) // { 'Access-Control-Allow-Origin': 'https://app.example.com', … }
 * ```
 */
export function corsHeaders(request: IncomingMessage, anyOrigin: boolean): Headers {
  const origin = request.headers.origin
  if (origin === undefined) return {}
  // Any origin may read, so none gets the user's cookies: '*' and no credentials.
  if (anyOrigin) {
    return { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'ETag' }
  }
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Expose-Headers': 'ETag',
    Vary: 'Origin',
  }
}

/**
 * The headers of a refusal that the refused origin's page may read (its body says why and holds
 * nothing else), so that its client can stop instead of retrying forever.
 *
 * @example
 * ```ts
 * readableBy('https://evil.example') // { 'Access-Control-Allow-Origin': 'https://evil.example', … }
 * ```
 */
export function readableBy(origin: string): Headers {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
    Vary: 'Origin',
  }
}

/**
 * The headers of a CORS preflight's `204`: the methods, and the headers the page asked for
 * (`requested`, its `Access-Control-Request-Headers`).
 *
 * @example
 * ```ts
 * preflightHeaders('content-type', cors) // { …cors, 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS', … }
 * ```
 */
export function preflightHeaders(requested: string | undefined, cors: Headers): Headers {
  return {
    ...cors,
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': requested ?? 'Content-Type, Idempotency-Key',
    'Access-Control-Max-Age': '600',
  }
}
