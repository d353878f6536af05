import type { IncomingMessage } from 'node:http'
import { LiveServerError } from './errors'
import type { OriginOption } from './origin'

/**
 * Which `Host` names the server answers for: the defence against DNS rebinding (a page on
 * `evil.example` that points its own name at `127.0.0.1` talks to a server on the user's
 * machine as if it were its own origin; only the `Host` header gives it away).
 *
 * - `undefined` (the default): a request that arrived on a loopback address (`127.0.0.0/8`,
 *   `::1`) needs a loopback host name (`localhost`, `*.localhost`, `127.x.x.x`, `[::1]`) or the
 *   host of an origin listed in `origins`; a request that arrived on any other address is not
 *   checked.
 * - `'*'`: any host.
 * - a list: host names without the port (strings match exactly, case-insensitively) and RegExps,
 *   tested against the lowercase host name; checked on every request.
 * - a function of the lowercase host name (no port) and the request.
 *
 * A request without `Host` (HTTP/1.0; Node refuses HTTP/1.1 without one) is not from a browser
 * and passes.
 */
export type HostOption =
  | '*'
  | ReadonlyArray<string | RegExp>
  | ((host: string, request: IncomingMessage) => boolean)

/** A check built from {@link HostOption}: whether the server answers `request`'s `Host`. */
export type HostCheck = (request: IncomingMessage) => boolean

/** The lowercase host name of a `Host` header, without the port; `null` when it is not one. */
export function hostName(header: string): string | null {
  try {
    const { hostname, username, password, pathname, search, hash } = new URL(`http://${header}`)
    // Anything beyond host[:port] is not a Host header.
    if (username || password || pathname !== '/' || search || hash || hostname === '') return null
    return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname
  } catch {
    return null
  }
}

const LOOPBACK_V4 = /^(?:::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/

/** Whether a socket's local address is a loopback one: the request came from this machine. */
export function isLoopbackAddress(address: string | undefined): boolean {
  return address !== undefined && (address === '::1' || LOOPBACK_V4.test(address))
}

/** Whether a host name can only mean this machine. */
export function isLoopbackName(name: string): boolean {
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    name === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
  )
}

/** The host names of the exact origins in `origins`: a loopback server may be reached by them. */
function originHosts(origins: OriginOption | undefined): Set<string> {
  const hosts = new Set<string>()
  if (!Array.isArray(origins)) return hosts
  for (const origin of origins) {
    if (typeof origin !== 'string') continue
    try {
      hosts.add(new URL(origin).hostname)
    } catch {
      // createOriginCheck refuses it with a clear error.
    }
  }
  return hosts
}

/** Builds the Host check of a server. Throws `ERR_INVALID_OPTIONS` on a malformed option. */
export function createHostCheck(
  option: HostOption | undefined,
  origins: OriginOption | undefined,
): HostCheck {
  if (option === '*') return () => true
  const named = (request: IncomingMessage, test: (host: string) => boolean): boolean => {
    const header = request.headers.host
    if (header === undefined) return true
    const host = hostName(header)
    return host !== null && test(host)
  }
  if (option === undefined) {
    const allowed = originHosts(origins)
    return (request) =>
      !isLoopbackAddress(request.socket?.localAddress) ||
      named(request, (host) => isLoopbackName(host) || allowed.has(host))
  }
  if (typeof option === 'function') {
    return (request) => named(request, (host) => option(host, request) === true)
  }
  if (!Array.isArray(option)) {
    throw new LiveServerError(
      'ERR_INVALID_OPTIONS',
      `allowedHosts must be '*', an array of host names and RegExps or a function, got ${typeof option}`,
    )
  }
  const exact = new Set<string>()
  const patterns: RegExp[] = []
  for (const entry of option) {
    if (entry instanceof RegExp) patterns.push(entry)
    else if (typeof entry === 'string' && hostName(entry) === entry.toLowerCase()) {
      exact.add(entry.toLowerCase())
    } else {
      throw new LiveServerError(
        'ERR_INVALID_OPTIONS',
        `allowedHosts entries must be host names without a port, like "app.example.com", or RegExps, got ${typeof entry === 'string' ? JSON.stringify(entry) : typeof entry}`,
      )
    }
  }
  return (request) =>
    named(request, (host) => exact.has(host) || patterns.some((pattern) => pattern.test(host)))
}
