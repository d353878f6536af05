import type { IncomingMessage } from 'node:http'
import { LiveServerError } from './errors'
import type { Peer } from './exchange'
import type { Hub } from './hub'
import { errorResponse, isUpgradeAt, viewOf } from './runtime-request'
import type { ServerSocket, SocketEvents } from './server-socket'
import type { ServerSettings } from './settings'
import { type AcceptSocket, maxFrameSize } from './transports/websocket'
import { upgradeRefusal } from './upgrade'

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

/** A WebSocket upgrade's key: 16 bytes in base64 (RFC 6455). */
const WEBSOCKET_KEY = /^[A-Za-z0-9+/]{22}==$/

/**
 * The hooks a live server lends its runtime adapters: the same upgrade decision as on Node
 * (`upgradeRefusal`), a key check Deno would skip, `live.fetch` told of the connection, and the
 * limits the adapters set on their runtime.
 *
 * @example
 * ```ts
 * const hooks = createRuntimeHooks(settings, hub, () => closed, serveFetch, webSocket.accept)
 * ```
 */
export function createRuntimeHooks(
  settings: ServerSettings,
  hub: Hub,
  isClosed: () => boolean,
  fetch: (request: Request, peer: Peer) => Promise<Response>,
  accept: AcceptSocket,
): RuntimeHooks {
  const { longPollTimeout, bodyTimeout, maxPayload } = hub.settings
  return {
    fetch,
    upgrade(request, peer) {
      if (!isUpgradeAt(request, settings.path)) return { kind: 'fetch' }
      if (!WEBSOCKET_KEY.test(request.headers.get('sec-websocket-key') ?? '')) {
        // Checked here for every runtime: Bun refuses a bad key, Deno would accept it.
        const message =
          'Not a valid WebSocket upgrade: Sec-WebSocket-Key must be 16 bytes in base64'
        return { kind: 'refused', response: errorResponse(400, 'ERR_INVALID_REQUEST', message) }
      }
      const view = viewOf(request, peer)
      const refusal = upgradeRefusal(view, settings, hub, isClosed())
      const address = peer.address ?? undefined
      if (refusal === null) return { kind: 'accept', request: view, address }
      const { status, code, message } = refusal
      return { kind: 'refused', response: errorResponse(status, code, message) }
    },
    accept,
    maxFrame: maxFrameSize(maxPayload),
    heartbeat: settings.heartbeat,
    quietest: Math.max(longPollTimeout, settings.heartbeat, bodyTimeout),
  }
}
