import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createLiveServer, type LiveServer, type LiveServerOptions } from '@livedata/server'

/** One SSE request the server received, a promise settled when its socket closes, and a way to cut it. */
export interface StreamRequest {
  url: string
  closed: Promise<void>
  /** Destroys the socket from the server's side, as a crash or a dropped proxy would. */
  drop(): void
}

/** A real @livedata/server on loopback, recording the streams (and polls) it serves. */
export interface TestLiveServer {
  url: string
  live: LiveServer
  streams: StreamRequest[]
  /** Resolves with the next SSE request (or the one already waiting at `index`). */
  stream(index: number): Promise<StreamRequest>
  /** Destroys every open socket: the clients see their connection drop mid-stream. */
  dropConnections(): void
  close(): Promise<void>
}

/**
 * Starts a @livedata/server on a free loopback port for a binding's tests (React, Vue, Svelte).
 *
 * @example
 * ```ts
 * const server = await startLiveServer()
 * const client = createLiveClient({ url: server.url, transports: ['sse'] })
 * ```
 */
export async function startLiveServer(options: LiveServerOptions = {}): Promise<TestLiveServer> {
  const server = createServer()
  const live = createLiveServer({ heartbeat: 1000, ...options })
  const streams: StreamRequest[] = []
  const waiting: Array<() => void> = []
  const sockets = new Set<Socket>()
  live.attach(server)
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  // attach() takes the requests under its path in the server's emit, before any listener:
  // observed after it, they are seen beside the live server, which answers them.
  observeRequests(server, record)
  function record(request: IncomingMessage, response: ServerResponse): void {
    // A client's one stream is on the base path (`/live?transport=sse&c=…`); a plain one names its channel.
    const url = request.url ?? ''
    if (request.method !== 'GET' || !(url.startsWith('/live/') || url.startsWith('/live?'))) return
    streams.push({
      url,
      closed: new Promise((resolve) => response.once('close', () => resolve())),
      drop: () => request.socket.destroy(),
    })
    for (const wake of waiting.splice(0)) wake()
  }
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/live`,
    live,
    streams,
    async stream(index) {
      while (streams.length <= index) await new Promise<void>((resolve) => waiting.push(resolve))
      return streams[index]!
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy()
    },
    async close() {
      await live.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * Makes every read of the globals `names` report itself to `record` (and give `undefined`), to
 * prove a server render touches no browser global. Returns the function that puts them back.
 *
 * @example
 * ```ts
 * const restore = trapGlobals(['window', 'document'], (name) => touched.push(name))
 * try { renderToString(app) } finally { restore() }
 * ```
 */
export function trapGlobals(names: readonly string[], record: (name: string) => void): () => void {
  const originals = names.map(
    (name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const,
  )
  for (const name of names) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        record(name)
        return undefined
      },
    })
  }
  return () => {
    for (const [name, descriptor] of originals) {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor)
      else Reflect.deleteProperty(globalThis, name)
    }
  }
}

/**
 * Calls `observe` with every request `server` gets, before the emit already there handles it,
 * those @livedata/server's `attach()` takes included (it takes them in the server's emit, before
 * any `request` listener): call it after `attach`.
 *
 * @example
 * ```ts
 * live.attach(http)
 * observeRequests(http, (request) => urls.push(request.url))
 * ```
 */
export function observeRequests(
  server: Server,
  observe: (request: IncomingMessage, response: ServerResponse) => void,
): void {
  const emit = server.emit
  server.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request') observe(args[0] as IncomingMessage, args[1] as ServerResponse)
    return Reflect.apply(emit, this, [event, ...args]) as boolean
  } as Server['emit']
}

/** What a judged server's `authorize` answers for a channel. */
export type Verdict = boolean | 'fail'

/** A test server whose `authorize` answers per channel from `verdicts`, recording subscribes. */
export interface JudgedServer extends TestLiveServer {
  /** `true` allows (the default), `false` refuses (final: 403), `'fail'` throws (passing: 503). */
  verdicts: Map<string, Verdict>
  /** The channels subscribed to, in order, as `authorize` was asked. */
  subscribes: string[]
}

/**
 * Starts a test server whose `authorize` answers per channel from `verdicts` (a refused channel,
 * a permissions database that is down) and records every subscribe: what the bindings' Suspense
 * tests need. Its reports are dropped: a `'fail'` verdict is the server's fault by design.
 *
 * @example
 * ```ts
 * const server = await startJudgedServer()
 * server.verdicts.set('admin', false)
 * ```
 */
export async function startJudgedServer(): Promise<JudgedServer> {
  const verdicts = new Map<string, Verdict>()
  const subscribes: string[] = []
  const server = await startLiveServer({
    authorize: ({ channel, action }) => {
      if (action === 'subscribe') subscribes.push(channel)
      const verdict = verdicts.get(channel) ?? true
      if (verdict === 'fail') throw new Error('the permissions database is down')
      return verdict
    },
    onError: () => {},
  })
  return Object.assign(server, { verdicts, subscribes })
}
