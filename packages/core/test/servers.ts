import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createLiveServer, type LiveServer, type LiveServerOptions } from '@livedata/server'
import { observeRequests } from '@livedata/test-server'
import { afterEach } from 'vitest'
import { createLiveClient, pollingTransport } from '../src/index'
import type { LiveClient, LiveClientOptions, LiveSnapshot, LiveSource } from '../src/types'

/** An HTTP server on loopback that tracks its sockets and requests, so tests can cut them. */
export interface TestServer {
  http: Server
  origin: string
  /** Every request received, in order. */
  requests: IncomingMessage[]
  /** Destroys every open socket: the clients see the connection drop mid-stream. */
  dropConnections(): void
  /** Resolves when `count` requests have arrived in all. */
  waitForRequests(count: number): Promise<void>
  /** Resolves once no response is open (every stream has ended). */
  waitForIdle(): Promise<void>
  close(): Promise<void>
}

export async function startHttpServer(
  handler?: (request: IncomingMessage, response: ServerResponse) => void,
  setup?: (http: Server) => void,
): Promise<TestServer> {
  const http = createServer(handler)
  setup?.(http)
  let open = 0
  const idle: Array<() => void> = []
  const sockets = new Set<Socket>()
  const requests: IncomingMessage[] = []
  const waiters: Array<{ count: number; resolve: () => void }> = []
  http.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  // After setup's attach(), so the requests it takes are seen too.
  observeRequests(http, (request, response) => {
    open++
    response.on('close', () => {
      if (--open > 0) return
      for (const resolve of idle.splice(0)) resolve()
    })
    requests.push(request)
    for (const waiter of [...waiters]) {
      if (requests.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    }
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as AddressInfo
  return {
    http,
    origin: `http://127.0.0.1:${port}`,
    requests,
    dropConnections() {
      for (const socket of sockets) socket.destroy()
    },
    waitForRequests(count) {
      if (requests.length >= count) return Promise.resolve()
      return new Promise((resolve) => waiters.push({ count, resolve }))
    },
    waitForIdle() {
      if (open === 0) return Promise.resolve()
      return new Promise((resolve) => idle.push(resolve))
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}

/** A @livedata/server attached to a fresh HTTP server on loopback. */
export async function startLiveServer(
  options: LiveServerOptions = {},
): Promise<TestServer & { live: LiveServer; url: string }> {
  const live = createLiveServer({ retry: 10, ...options })
  const server = await startHttpServer(undefined, (http) => live.attach(http))
  return {
    ...server,
    live,
    url: `${server.origin}${live.path}`,
    async close() {
      await live.close()
      await server.close()
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

/** Yields to the event loop, so sockets can flush between publishes. */
export const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Resolves once `predicate` holds, checking after each turn of the event loop. For state that
 * has no event of its own to wait for (a snapshot nobody may subscribe to, to let it close).
 */
export function until(predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (predicate() ? resolve() : setImmediate(check))
    check()
  })
}

/**
 * What a test file needs to start servers and clients that are closed after each test: `defer`
 * anything else to close, in reverse order. Clients reconnect fast (10 to 50 ms) and let go at
 * once (`disconnectDelay: 0`), on top of the file's `defaults`.
 */
export function testScope(defaults: LiveClientOptions = {}) {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  const defer = (...more: Array<() => Promise<void> | void>): void => {
    cleanups.push(...more)
  }
  return {
    defer,
    async server(options: LiveServerOptions = {}) {
      const started = await startLiveServer(options)
      defer(() => started.close())
      return started
    },
    client(options: LiveClientOptions = {}): LiveClient {
      const created = createLiveClient({
        reconnect: { minDelay: 10, maxDelay: 50 },
        disconnectDelay: 0,
        // Short polls every 5 ms, so that tests over polling wait for events, not for the clock.
        register: [pollingTransport({ interval: 5 })],
        ...defaults,
        ...options,
      })
      defer(() => created.close())
      return created
    },
  }
}
