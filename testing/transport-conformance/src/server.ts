import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createLiveServer, type LiveServer, type LiveServerOptions } from '@livedata/server'
import { observeRequests } from '@livedata/test-server'

/** A connection the server holds for a client: an HTTP request under the live path, or a socket. */
export interface HeldConnection {
  /** `GET /live?transport=sse&c=…`, `POST /live/news`, `UPGRADE /live?…`. */
  readonly label: string
  /** The client's tag (the suite's `query` parameter `conformance`), `''` without one. */
  readonly client: string
}

/**
 * A real @livedata/server on loopback that sees every connection a client makes under its path,
 * HTTP requests and WebSocket upgrades alike, while it is held.
 */
export interface ConformanceServer {
  /** The base URL: `http://127.0.0.1:<port>/live`. */
  readonly url: string
  readonly live: LiveServer
  /** Connections held now (requests not yet answered, sockets not yet closed). */
  readonly held: ReadonlySet<HeldConnection>
  /** Every connection ever made, in order. */
  readonly made: readonly HeldConnection[]
  /** Called on every change of `held` (a new connection or one that ended). */
  onChange(listener: () => void): () => void
  /** Destroys every open socket, as a crash or a dropped proxy would. */
  dropConnections(): void
  close(): Promise<void>
}

const tagOf = (url: string): string =>
  new URL(url, 'http://localhost').searchParams.get('conformance') ?? ''

/**
 * Starts a @livedata/server (history 10,000 unless `options` says otherwise) attached to a new
 * HTTP server on a free loopback port.
 *
 * @example
 * ```ts
 * const server = await startConformanceServer({ authorize: ({ channel }) => channel !== 'admin' })
 * ```
 */
export async function startConformanceServer(
  options: LiveServerOptions = {},
): Promise<ConformanceServer> {
  const http = createServer()
  const live = createLiveServer({ history: 10_000, heartbeat: 1000, retry: 10, ...options })
  live.attach(http)
  const held = new Set<HeldConnection>()
  const made: HeldConnection[] = []
  const listeners = new Set<() => void>()
  const sockets = new Set<Socket>()
  const changed = (): void => {
    for (const listener of [...listeners]) listener()
  }
  const hold = (label: string, url: string, ended: (done: () => void) => void): void => {
    const connection: HeldConnection = { label, client: tagOf(url) }
    held.add(connection)
    made.push(connection)
    changed()
    ended(() => {
      if (held.delete(connection)) changed()
    })
  }
  http.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  observeRequests(http, (request, response) => {
    const url = request.url ?? ''
    if (!url.startsWith(live.path)) return
    hold(`${request.method} ${url}`, url, (done) => {
      response.once('finish', done)
      response.once('close', done)
    })
  })
  watchUpgrades(http, (url, socket) =>
    hold(`UPGRADE ${url}`, url, (done) => socket.once('close', done)),
  )
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  const { port } = http.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${live.path}`,
    live,
    held,
    made,
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy()
    },
    async close() {
      await live.close()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}

/** Sees every upgrade `server` gets, before `attach()` (which takes them in the emit) does. */
function watchUpgrades(server: Server, observe: (url: string, socket: Socket) => void): void {
  const emit = server.emit
  server.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'upgrade') {
      const request = args[0] as { url?: string }
      observe(request.url ?? '', args[1] as Socket)
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean
  } as Server['emit']
}
