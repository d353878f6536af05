import type { WebSocket } from 'ws'
import type { ServerSocket, SocketEvents } from './server-socket'

/**
 * A `ws` socket (Node) as a {@link ServerSocket}, its events wired to `events`.
 *
 * @example
 * ```ts
 * server.handleUpgrade(request, socket, head, (ws) => accept(nodeSocket(ws, events)))
 * ```
 */
export function nodeSocket(ws: WebSocket): {
  socket: ServerSocket
  listen(events: SocketEvents): void
} {
  ws.binaryType = 'nodebuffer'
  const socket: ServerSocket = {
    isOpen: () => ws.readyState === ws.OPEN,
    send: (text) => ws.send(text),
    bufferedAmount: () => ws.bufferedAmount,
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    ping() {
      ws.ping()
      return true
    },
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
  }
  return {
    socket,
    listen(events) {
      ws.on('message', (data, isBinary) => {
        const bytes = data as Buffer
        events.message(isBinary ? null : bytes.toString('utf8'), bytes.length)
      })
      ws.on('pong', () => events.pong())
      ws.on('close', () => events.closed())
      ws.on('error', () => events.closed())
    },
  }
}
