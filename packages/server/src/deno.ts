import { runtimeHooks } from './runtime-hooks'
import { errorResponse, peerOf } from './runtime-request'
import type { LiveServer } from './server'
import { type ServerSocket, type SocketEvents, sizeOf } from './server-socket'

/** The part of `Deno.serve`'s second argument the adapter reads. */
export interface DenoServeInfo {
  remoteAddr?: { hostname?: string }
}

/** The part of `Deno.upgradeWebSocket` the adapter uses. */
export type DenoUpgrade = (
  request: Request,
  options: { idleTimeout: number },
) => { socket: WebSocket; response: Response }

/** Options of {@link denoHandler}. */
export interface DenoHandlerOptions {
  /** `Deno.upgradeWebSocket`, for tests; by default the global `Deno`'s. */
  upgradeWebSocket?: DenoUpgrade
}

/** A Deno socket as the live connection sees it. */
function socketOf(socket: WebSocket): ServerSocket {
  return {
    isOpen: () => socket.readyState === WebSocket.OPEN,
    send: (text) => socket.send(text),
    bufferedAmount: () => socket.bufferedAmount,
    // Deno cannot stop reading one socket: a peer that floods meets the inbox's hard limit.
    pause() {},
    resume() {},
    // Deno has no ping API: its idleTimeout pings and closes a peer that does not answer.
    ping: () => false,
    close: (code, reason) => socket.close(code, reason),
    // Deno has no abort for a socket: a graceful close, the best it offers.
    terminate: () => socket.close(),
  }
}

/** Reports a Deno socket's events to the live connection; a frame past `maxFrame` closes it. */
function listen(socket: WebSocket, events: SocketEvents, maxFrame: number): void {
  socket.binaryType = 'arraybuffer'
  socket.addEventListener('message', (event: MessageEvent) => {
    const { data } = event
    const size =
      typeof data === 'string' ? sizeOf(data, maxFrame) : (data as ArrayBuffer).byteLength
    if (size > maxFrame) {
      socket.close(1009, 'frame too large')
      return
    }
    events.message(typeof data === 'string' ? data : null, size)
  })
  socket.addEventListener('close', () => events.closed())
  socket.addEventListener('error', () => events.closed())
}

/**
 * Serves a live server on Deno, WebSocket included: a handler for `Deno.serve`. It upgrades at
 * the live path (`Deno.upgradeWebSocket`) and hands every other request to `live.fetch`; route
 * your own paths before it. Dead peers are found by Deno's `idleTimeout` pings, set to two
 * heartbeat intervals.
 *
 * @example
 * ```ts
 * import { createLiveServer } from 'npm:@livedata/server'
 * import { denoHandler } from 'npm:@livedata/server/deno'
 *
 * const live = createLiveServer({ path: '/live' })
 * Deno.serve({ port: 3000 }, denoHandler(live))
 * ```
 */
export function denoHandler(
  live: LiveServer<string | Promise<string>>,
  options: DenoHandlerOptions = {},
): (request: Request, info?: DenoServeInfo) => Promise<Response> | Response {
  const hooks = runtimeHooks(live)
  const idleTimeout = Math.ceil((2 * hooks.heartbeat) / 1000)
  return (request, info) => {
    const peer = peerOf(info?.remoteAddr?.hostname)
    const decision = hooks.upgrade(request, peer)
    if (decision.kind === 'fetch') return hooks.fetch(request, peer)
    if (decision.kind === 'refused') return decision.response
    const upgrade =
      options.upgradeWebSocket ??
      (globalThis as { Deno?: { upgradeWebSocket: DenoUpgrade } }).Deno?.upgradeWebSocket
    if (upgrade === undefined) return hooks.fetch(request, peer)
    let upgraded: ReturnType<DenoUpgrade>
    try {
      upgraded = upgrade(request, { idleTimeout })
    } catch {
      // Deno refuses a malformed upgrade (no Sec-WebSocket-Key, say) by throwing.
      return errorResponse(400, 'ERR_INVALID_REQUEST', 'Not a valid WebSocket upgrade')
    }
    const { socket, response } = upgraded
    const events = hooks.accept(socketOf(socket), decision.request, decision.address)
    listen(socket, events, hooks.maxFrame)
    return response
  }
}
