import type { IncomingMessage } from 'node:http'
import { LiveServerError } from './errors'
import { ERROR_HEADERS, errorBody } from './http-errors'
import type { WireErrorCode } from './protocol'
import { requestView } from './request-view'
import type { ServerSocket, SocketEvents } from './server-socket'

/**
 * Where a live server keeps what the runtime adapters (`@livedata/server/bun`, `/deno`) need:
 * a registered symbol, so that an adapter bundled apart from the server still finds it.
 */
export const RUNTIME_HOOKS: unique symbol = Symbol.for('@livedata/server.runtime-hooks') as never

/** What a runtime adapter does with a request. */
export type UpgradeDecision =
  /** Not a WebSocket upgrade at the live path: `live.fetch` serves it. */
  | { kind: 'fetch' }
  /** Refused (closed server, no WebSocket offered, Host or Origin): answer with this. */
  | { kind: 'refused'; response: Response }
  /** Upgrade it, and hand the socket to `accept` with this view of the request. */
  | { kind: 'accept'; request: IncomingMessage; address: string | undefined }

/** What a live server lends its runtime adapters. */
export interface RuntimeHooks {
  /** Decides an incoming request: see {@link UpgradeDecision}. */
  upgrade(request: Request, address: string | null): UpgradeDecision
  /** Takes an upgraded socket; its adapter reports the socket's events to what this returns. */
  accept(socket: ServerSocket, request: IncomingMessage, address: string | undefined): SocketEvents
  /** The largest frame a socket takes, in bytes (a larger one closes it with 1009). */
  maxFrame: number
  /** The heartbeat interval, in ms (0: none). */
  heartbeat: number
}

/** What `runtimeHooks` reads: a live server, as `createLiveServer` made it. */
type WithHooks = { [RUNTIME_HOOKS]?: RuntimeHooks }

/**
 * The hooks of `live`, for a runtime adapter; throws `ERR_INVALID_OPTIONS` when `live` is not
 * a server `createLiveServer` made.
 *
 * @example
 * ```ts
 * const hooks = runtimeHooks(live)
 * const decision = hooks.upgrade(request, address)
 * ```
 */
export function runtimeHooks(live: unknown): RuntimeHooks {
  const hooks =
    typeof live === 'object' && live !== null ? (live as WithHooks)[RUNTIME_HOOKS] : undefined
  if (hooks === undefined) {
    throw new LiveServerError(
      'ERR_INVALID_OPTIONS',
      'Expected a live server made by createLiveServer() from @livedata/server',
    )
  }
  return hooks
}

/**
 * The view of a Web-standard request the server's hooks see (see `requestView`).
 *
 * @example
 * ```ts
 * const view = viewOf(request, '203.0.113.7')
 * ```
 */
export function viewOf(request: Request, address: string | null): IncomingMessage {
  const { method, headers } = request
  return requestView({ method, url: new URL(request.url), headers, address })
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
  const { pathname } = new URL(request.url)
  return pathname === path || pathname === `${path}/`
}
