// The servers @livedata is compared with, each publishing the way it is meant to: a raw `ws`
// broadcast (serialize once, send the same text to every socket), a raw SSE stream (one
// `data:` event written to every open response) and socket.io (`io.emit`). Used by the server
// processes of the fan-out and latency sections.
import type { Server, ServerResponse } from 'node:http'
import { Server as SocketIoServer } from 'socket.io'
import { WebSocketServer } from 'ws'

/** Which raw server: `ws`, `sse` or `socket.io`. */
export type RawServerKind = 'ws' | 'sse' | 'socket.io'

/** Sends one message to every connected client. */
export type Broadcast = (payload: unknown) => void

/**
 * Serves `kind` on `http` (every request and upgrade) and returns its broadcast.
 *
 * @example
 * ```ts
 * const broadcast = rawBroadcast('ws', http)
 * broadcast({ seq: 0 })
 * ```
 */
export function rawBroadcast(kind: RawServerKind, http: Server): Broadcast {
  if (kind === 'socket.io') {
    const io = new SocketIoServer(http, { serveClient: false })
    return (payload) => void io.emit('m', payload)
  }
  if (kind === 'sse') {
    const streams = new Set<ServerResponse>()
    http.on('request', (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/event-stream' })
      response.write(':\n\n')
      streams.add(response)
      response.once('close', () => streams.delete(response))
    })
    return (payload) => {
      const frame = `data: ${JSON.stringify(payload)}\n\n`
      for (const stream of streams) stream.write(frame)
    }
  }
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
  return (payload) => {
    const text = JSON.stringify(payload)
    for (const socket of wss.clients) socket.send(text)
  }
}
