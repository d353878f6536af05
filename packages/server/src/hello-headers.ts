import { LiveServerError } from './errors'
import type { HeaderMap } from './headers'

/**
 * What a `hello` frame may add to the upgrade request's headers by default: a bearer token, the
 * one thing a browser cannot put on an upgrade.
 */
export const DEFAULT_HELLO_HEADERS: readonly string[] = ['authorization']

/** Names the browser or the connection sets: a `hello` frame can never vouch for them. */
const BROWSER_NAMES = new Set([
  'host',
  'origin',
  'cookie',
  'connection',
  'upgrade',
  'content-length',
  'transfer-encoding',
])
/** An HTTP header name (an RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~\w-]{1,256}$/

/**
 * The `helloHeaders` option checked and lowercased. Throws `ERR_INVALID_OPTIONS` for a name that
 * is not a header name or that the browser controls (`host`, `origin`, `cookie`, `sec-*`, …).
 *
 * @example
 * ```ts
 * helloHeaderNames(['Authorization', 'X-Tenant']) // Set { 'authorization', 'x-tenant' }
 * ```
 */
export function helloHeaderNames(option: readonly string[] | undefined): ReadonlySet<string> {
  const names = option ?? DEFAULT_HELLO_HEADERS
  if (!Array.isArray(names)) {
    throw new LiveServerError(
      'ERR_INVALID_OPTIONS',
      `helloHeaders must be an array of header names, got ${typeof names}`,
    )
  }
  const allowed = new Set<string>()
  for (const name of names) {
    if (typeof name !== 'string' || !TOKEN.test(name)) {
      throw new LiveServerError(
        'ERR_INVALID_OPTIONS',
        `helloHeaders entries must be header names like "authorization", got ${typeof name === 'string' ? JSON.stringify(name.slice(0, 100)) : typeof name}`,
      )
    }
    const lower = name.toLowerCase()
    if (BROWSER_NAMES.has(lower) || lower.startsWith('sec-') || lower.startsWith('proxy-')) {
      throw new LiveServerError(
        'ERR_INVALID_OPTIONS',
        `helloHeaders cannot list "${lower}": the browser sets it, a hello frame must not`,
      )
    }
    allowed.add(lower)
  }
  return allowed
}

/**
 * The `hello` frame's headers a server keeps: the allowed names only. The others are dropped
 * (and named in the result, for a report).
 */
export function pickHello(
  hello: HeaderMap,
  allowed: ReadonlySet<string>,
): { kept: HeaderMap | null; ignored: string[] } {
  const kept: Array<[string, string]> = []
  const ignored: string[] = []
  for (const [name, value] of Object.entries(hello)) {
    if (allowed.has(name)) kept.push([name, value])
    else ignored.push(name)
  }
  return { kept: kept.length === 0 ? null : Object.freeze(Object.fromEntries(kept)), ignored }
}

/**
 * The upgrade request's headers with the kept `hello` headers added, for `authorize` and
 * `message` listeners. A header the upgrade request carried always wins: a proxy in front may
 * have set it (an identity it vouches for), and a client must never be able to replace it.
 * Built with `Object.fromEntries`, so no name (`__proto__` included) can reach a prototype.
 */
export function withHello(upgrade: HeaderMap, hello: HeaderMap): HeaderMap {
  const added = Object.entries(hello).filter(([name]) => !Object.hasOwn(upgrade, name))
  if (added.length === 0) return upgrade
  return Object.freeze(Object.fromEntries([...Object.entries(upgrade), ...added]))
}
