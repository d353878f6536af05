import { runtimeHooks } from './runtime-hooks'
import { errorResponse, peerOf } from './runtime-request'
import type { LiveServer } from './server'
import { type ServerSocket, type SocketEvents, sizeOf } from './server-socket'

/** What a live socket carries in Bun's `ws.data`. */
export interface BunSocketData {
  /** The connection behind the socket, once it opened. */
  events?: SocketEvents
  /** The upgrade request as the server's hooks see it. */
  request: import('node:http').IncomingMessage
  address: string | undefined
}

/** The part of Bun's `Server` the adapter uses. */
export interface BunServerLike {
  upgrade(request: Request, options: { data: BunSocketData }): boolean
  requestIP(request: Request): { address: string } | null
  /** Sets one request's idle timeout, in seconds (0: none). */
  timeout(request: Request, seconds: number): void
}

/** The part of Bun's `ServerWebSocket` the adapter uses. */
export interface BunSocketLike {
  readonly data: BunSocketData
  readonly readyState: number
  send(data: string): number
  getBufferedAmount(): number
  ping(): unknown
  close(code?: number, reason?: string): void
  terminate(): void
}

/** `fetch` and `websocket` for `Bun.serve`: see {@link bunHandlers}. */
export interface BunHandlers {
  /**
   * Upgrades a WebSocket request at the live path (answering `undefined`, as Bun wants after
   * `server.upgrade`), refuses one the server does not take, and hands every other request to
   * `live.fetch`, with Bun's idle timeout for the request raised above the quietest a live
   * request may be (a held long poll, a stream between heartbeats, a body on its way; Bun's
   * default of 10 s would cut them), and still bounded.
   */
  fetch(request: Request, server: BunServerLike): Promise<Response> | Response | undefined
  /** Bun's WebSocket handlers and limits for the live server's sockets. */
  websocket: {
    open(ws: BunSocketLike): void
    message(ws: BunSocketLike, message: string | Uint8Array): void
    pong(ws: BunSocketLike): void
    close(ws: BunSocketLike): void
    /** Frames past this close the socket (1009): room for a send a little over `maxPayload`. */
    maxPayloadLength: number
    /** 0: the live server's own heartbeats find dead peers, with their grace. */
    idleTimeout: number
    sendPings: boolean
    perMessageDeflate: boolean
  }
}

/** Bun's `ServerWebSocket.readyState` when open. */
const OPEN = 1

/** A Bun socket as the live connection sees it. */
function socketOf(ws: BunSocketLike): ServerSocket {
  return {
    isOpen: () => ws.readyState === OPEN,
    send(text) {
      // 0: Bun dropped the frame (past its backpressure limit). Never a silent loss: the socket
      // is cut, and the client resumes from its last id.
      if (ws.send(text) === 0 && ws.readyState === OPEN) ws.terminate()
    },
    bufferedAmount: () => ws.getBufferedAmount(),
    // Bun cannot stop reading one socket: a peer that floods meets the inbox's hard limit.
    pause() {},
    resume() {},
    ping() {
      ws.ping()
      return true
    },
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
  }
}

/**
 * Serves a live server on Bun, WebSocket included: spread the result into `Bun.serve`. Its
 * `fetch` upgrades at the live path and hands every other request to `live.fetch`; route your
 * own paths before it.
 *
 * @example
 * ```ts
 * import { createLiveServer } from '@livedata/server'
 * import { bunHandlers } from '@livedata/server/bun'
 *
 * const live = createLiveServer({ path: '/live' })
 * Bun.serve({ port: 3000, ...bunHandlers(live) })
 * ```
 */
export function bunHandlers(live: LiveServer<string | Promise<string>>): BunHandlers {
  const hooks = runtimeHooks(live)
  // Above the quietest a live request may be (Bun allows 255 s at most; 0 would be none at all).
  const idleSeconds = Math.min(255, Math.ceil(hooks.quietest / 1000) + 10)
  return {
    fetch(request, server) {
      const peer = peerOf(server.requestIP(request)?.address)
      const decision = hooks.upgrade(request, peer)
      if (decision.kind === 'fetch') {
        server.timeout(request, idleSeconds)
        return hooks.fetch(request, peer)
      }
      if (decision.kind === 'refused') return decision.response
      const data: BunSocketData = { request: decision.request, address: decision.address }
      if (server.upgrade(request, { data })) return undefined
      return errorResponse(400, 'ERR_INVALID_REQUEST', 'Not a valid WebSocket upgrade')
    },
    websocket: {
      open(ws) {
        ws.data.events = hooks.accept(socketOf(ws), ws.data.request, ws.data.address)
      },
      message(ws, message) {
        if (typeof message !== 'string') ws.data.events?.message(null, message.byteLength)
        else ws.data.events?.message(message, sizeOf(message, hooks.maxFrame))
      },
      pong(ws) {
        ws.data.events?.pong()
      },
      close(ws) {
        ws.data.events?.closed()
      },
      maxPayloadLength: hooks.maxFrame,
      idleTimeout: 0,
      sendPings: false,
      perMessageDeflate: false,
    },
  }
}
