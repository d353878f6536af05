import type { IncomingMessage } from 'node:http'
import { LiveServerError } from './errors'

/**
 * Which browser origins may connect. `undefined` (the default) allows only the server's own
 * origin; `'*'` allows any; a list allows exact origins (`https://app.example.com`) and RegExps;
 * a function decides per request. Requests without an `Origin` header (curl, servers) pass:
 * Origin checks protect browsers' users, not the server.
 */
export type OriginOption =
  | '*'
  | ReadonlyArray<string | RegExp>
  | ((origin: string, request: IncomingMessage) => boolean)

/**
 * A check built from {@link OriginOption}: whether `origin` (the request's `Origin` header, or
 * the page origin an iframe stream will post to) may connect.
 */
export type OriginCheck = (origin: string | undefined, request: IncomingMessage) => boolean

/**
 * The normal form of an origin (`HTTPS://App.Example.com:443` → `https://app.example.com`), or
 * `null` when no URL parser accepts it.
 *
 * @example
 * ```ts
 * normalizeOrigin('HTTPS://App.Example.com:443') // 'https://app.example.com'
 * ```
 */
export function normalizeOrigin(origin: string): string | null {
  try {
    return new URL(origin).origin
  } catch {
    return null
  }
}

/** The normal form of an origin, or the text itself when it is none (it then matches nothing). */
const normalize = (origin: string): string => normalizeOrigin(origin) ?? origin

/** Whether `origin` is the request's own: its host equals the `Host` header (a same-origin request). */
export function ownOrigin(origin: string, request: IncomingMessage): boolean {
  const host = request.headers.host
  if (!host) return false
  try {
    return new URL(origin).host === host
  } catch {
    return false
  }
}

/** Builds the Origin check of a server. Throws `ERR_INVALID_OPTIONS` on a malformed option. */
export function createOriginCheck(option: OriginOption | undefined): OriginCheck {
  if (option === undefined) {
    return (origin, request) => origin === undefined || ownOrigin(origin, request)
  }
  if (option === '*') return () => true
  if (typeof option === 'function') {
    return (origin, request) =>
      origin === undefined || ownOrigin(origin, request) || option(normalize(origin), request)
  }
  if (!Array.isArray(option)) {
    throw new LiveServerError(
      'ERR_INVALID_OPTIONS',
      `origins must be '*', an array of origins or a function, got ${String(option)}`,
    )
  }
  const exact = new Set<string>()
  const patterns: RegExp[] = []
  for (const entry of option) {
    if (entry instanceof RegExp) patterns.push(entry)
    else if (typeof entry === 'string' && /^https?:\/\/[^/]+$/i.test(normalize(entry))) {
      exact.add(normalize(entry))
    } else {
      throw new LiveServerError(
        'ERR_INVALID_OPTIONS',
        `origins entries must be origins like "https://app.example.com" or RegExps, got ${String(entry)}`,
      )
    }
  }
  return (origin, request) => {
    if (origin === undefined || ownOrigin(origin, request)) return true
    // Patterns see the normal form, the same string that is later used (CSP, postMessage).
    const normal = normalize(origin)
    return exact.has(normal) || patterns.some((pattern) => pattern.test(normal))
  }
}
