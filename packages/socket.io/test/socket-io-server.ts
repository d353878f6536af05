import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LiveSnapshot, LiveSource } from '@livedata/core'
import { Server, type ServerOptions, type Socket } from 'socket.io'

/** A real socket.io v4 server on loopback, recording the sockets that connect to it. */
export interface TestSocketIoServer {
  /** The server's origin, e.g. `http://127.0.0.1:40123`: what a source's `url` is. */
  url: string
  port: number
  io: Server
  /** Every socket that connected, in order. */
  sockets: Socket[]
  /** How many sockets are connected now. */
  connected(): number
  /** Resolves with the socket that connected `index`-th (0 is the first), once it has. */
  socket(index: number): Promise<Socket>
  /** Resolves once no socket is connected. */
  idle(): Promise<void>
  close(): Promise<void>
}

/** Starts a socket.io server; `port` 0 picks a free one, a number reuses one (a restart). */
export async function startSocketIoServer(
  options: Partial<ServerOptions> = {},
  port = 0,
): Promise<TestSocketIoServer> {
  const http = createServer()
  const io = new Server(http, options)
  const sockets: Socket[] = []
  const waiting = new Set<() => void>()
  const wake = () => {
    for (const check of [...waiting]) check()
  }
  io.on('connection', (socket) => {
    sockets.push(socket)
    socket.on('disconnect', wake)
    wake()
  })
  const until = (ready: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const check = () => {
        if (!ready()) return
        waiting.delete(check)
        resolve()
      }
      waiting.add(check)
      check()
    })
  http.listen(port, '127.0.0.1')
  await once(http, 'listening')
  const address = http.address() as AddressInfo
  const connected = () => sockets.filter((socket) => socket.connected).length
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    io,
    sockets,
    connected,
    async socket(index) {
      await until(() => sockets.length > index)
      return sockets[index]!
    },
    idle: () => until(() => connected() === 0),
    async close() {
      // Closes every socket.io connection and the HTTP server with it.
      await io.close()
      http.closeAllConnections()
    },
  }
}

/** Resolves with the first snapshot that satisfies `predicate`, waiting for notifications. */
export function waitForSnapshot<T>(
  source: LiveSource<T>,
  predicate: (snapshot: LiveSnapshot<T>) => boolean,
): Promise<LiveSnapshot<T>> {
  return new Promise((resolve) => {
    if (predicate(source.getSnapshot())) return resolve(source.getSnapshot())
    const unsubscribe = source.subscribe(() => {
      const snapshot = source.getSnapshot()
      if (!predicate(snapshot)) return
      unsubscribe()
      resolve(snapshot)
    })
  })
}

/** Records every status a source goes through, in order, without repeats. */
export function recordStatuses<T>(source: LiveSource<T>): LiveSnapshot<T>['status'][] {
  const statuses = [source.getSnapshot().status]
  source.subscribe(() => {
    const { status } = source.getSnapshot()
    if (status !== statuses.at(-1)) statuses.push(status)
  })
  return statuses
}
