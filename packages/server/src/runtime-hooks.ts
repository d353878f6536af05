import type { IncomingMessage } from 'node:http'
import { LiveServerError } from './errors'
import type { Peer } from './exchange'
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
  upgrade(request: Request, peer: Peer): UpgradeDecision
  /** `live.fetch`, told what the runtime knows of the connection. */
  fetch(request: Request, peer: Peer): Promise<Response>
  /** Takes an upgraded socket; its adapter reports the socket's events to what this returns. */
  accept(socket: ServerSocket, request: IncomingMessage, address: string | undefined): SocketEvents
  /** The largest frame a socket takes, in bytes (a larger one closes it with 1009). */
  maxFrame: number
  /** The heartbeat interval, in ms (0: none). */
  heartbeat: number
  /**
   * The longest a live request may stay quiet, in ms: a held long poll, a stream between
   * heartbeats, a body on its way. A runtime's idle timeout below it would cut them.
   */
  quietest: number
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
 * const decision = hooks.upgrade(request, { address, localAddress })
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
