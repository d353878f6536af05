import { WebSocket } from 'ws'
import type { ServerSocket, SocketEvents } from './server-socket'

/**
 * A `ws` socket that carries the connection its events go to: the `WebSocket` class the
 * server's `WebSocketServer` makes, so that one set of listener functions serves every socket
 * (a closure per socket and event would cost each idle socket hundreds of bytes).
 */
export class LiveWebSocket extends WebSocket {
  /** Where this socket's events go; `null` until the connection is made. */
  events: SocketEvents | null = null
}

// `ws` types a listener's `this` as its base class; the sockets are all LiveWebSockets.
function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  ;(this as LiveWebSocket).events?.message(isBinary ? null : data.toString('utf8'), data.length)
}

function onPong(this: WebSocket): void {
  ;(this as LiveWebSocket).events?.pong()
}

function onClosed(this: WebSocket): void {
  ;(this as LiveWebSocket).events?.closed()
}

/**
 * A `ws` socket (Node) as a {@link ServerSocket}: methods on a prototype, one field per socket.
 */
class NodeSocket implements ServerSocket {
  constructor(private readonly ws: WebSocket) {}

  isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  send(text: string): void {
    this.ws.send(text)
  }

  bufferedAmount(): number {
    return this.ws.bufferedAmount
  }

  pause(): void {
    this.ws.pause()
  }

  resume(): void {
    this.ws.resume()
  }

  ping(): boolean {
    this.ws.ping()
    return true
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason)
  }

  terminate(): void {
    this.ws.terminate()
  }
}

/**
 * A `ws` socket (Node) as a {@link ServerSocket}; `listen` wires its events to what the
 * connection returns.
 *
 * @example
 * ```ts
 * server.handleUpgrade(request, socket, head, (ws) => {
 *   listen(ws as LiveWebSocket, accept(nodeSocket(ws), request, address))
 * })
 * ```
 */
export function nodeSocket(ws: WebSocket): ServerSocket {
  ws.binaryType = 'nodebuffer'
  return new NodeSocket(ws)
}

/** Sends the events of `ws` to `events`, through listener functions every socket shares. */
export function listen(ws: LiveWebSocket, events: SocketEvents): void {
  ws.events = events
  ws.on('message', onMessage)
  ws.on('pong', onPong)
  ws.on('close', onClosed)
  ws.on('error', onClosed)
}
