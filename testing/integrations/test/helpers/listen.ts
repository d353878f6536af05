import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { LiveServer } from '@livedata/server'
import type { ConformanceTarget } from '@livedata/server-conformance'

/**
 * Listens with `server` on a free loopback port and resolves the conformance target: its
 * origin, and a `close()` that closes `live`, cuts every socket left and closes the server.
 *
 * @example
 * ```ts
 * const server = createServer(nodeControl(control))
 * live.attach(server)
 * return listenOnLoopback(server, live)
 * ```
 */
export async function listenOnLoopback(
  server: Server,
  live: LiveServer,
): Promise<ConformanceTarget> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await live.close()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
