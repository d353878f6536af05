import type { IncomingMessage } from 'node:http'
import type { Peer } from './exchange'
import { isLoopbackAddress } from './hosts'
import { ERROR_HEADERS, errorBody } from './http-errors'
import type { WireErrorCode } from './protocol'
import { requestView } from './request-view'

// What the runtime adapters read of a Web-standard request, and how they answer one.

/**
 * What a runtime knows of a request's connection from the client's address: a loopback client
 * reached the server on a loopback address too, which turns the default Host check (the
 * DNS-rebinding defence) on, as on `node:http`.
 *
 * @example
 * ```ts
 * peerOf('127.0.0.1') // { address: '127.0.0.1', localAddress: '127.0.0.1' }
 * ```
 */
export function peerOf(address: string | null | undefined): Peer {
  if (address === null || address === undefined) return { address: null }
  return isLoopbackAddress(address) ? { address, localAddress: address } : { address }
}

/**
 * The view of a Web-standard request the server's hooks see (see `requestView`).
 *
 * @example
 * ```ts
 * const view = viewOf(request, { address: '203.0.113.7' })
 * ```
 */
export function viewOf(request: Request, peer: Peer): IncomingMessage {
  const { method, headers } = request
  const { address, localAddress } = peer
  return requestView({ method, url: new URL(request.url), headers, address }, localAddress)
}

/**
 * Whether `request` asks for a WebSocket at `path` (the base path, with or without its slash).
 *
 * @example
 * ```ts
 * isUpgradeAt(request, '/live') // true for GET /live with Upgrade: websocket
 * ```
 */
export function isUpgradeAt(request: Request, path: string): boolean {
  if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return false
  if (request.method !== 'GET') return false
  const { pathname } = new URL(request.url)
  return pathname === path || pathname === `${path}/`
}

/**
 * A JSON error answer, as every refusal of the server.
 *
 * @example
 * ```ts
 * errorResponse(403, 'ERR_ORIGIN', 'Origin "https://evil.example" is not allowed')
 * ```
 */
export function errorResponse(status: number, code: WireErrorCode, message: string): Response {
  return new Response(errorBody(code, message), { status, headers: ERROR_HEADERS })
}
