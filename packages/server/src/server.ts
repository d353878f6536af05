import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { type AttachOptions, attachTo } from './attach'
import type { BackplaneHealth } from './backplane'
import { LiveServerError } from './errors'
import { createFetchRouter } from './fetch-router'
import { startHeartbeats } from './heartbeats'
import type { AuthorizeContext, MessageContext, RequestTransport, ServerTransport } from './hub'
import { createIdGenerator } from './ids'
import { createNewestReads } from './newest-reads'
import { closedError, type PublishOptions, publish, publishToBackplane } from './publish'
import { createRegistry, type MessageListener } from './registry'
import { createRouter } from './router'
import { createRuntimeHooks, RUNTIME_HOOKS } from './runtime-hooks'
import { type BackplaneOptions, type LiveServerOptions, resolveSettings } from './settings'
import { type ChannelSnapshot, type SnapshotSource, takeSnapshot } from './snapshot'
import { createWebSocketEndpoint } from './transports/websocket'
import { createUpgrade } from './upgrade'

export type {
  AttachOptions,
  AuthorizeContext,
  BackplaneOptions,
  ChannelSnapshot,
  LiveServerOptions,
  MessageContext,
  MessageListener,
  PublishOptions,
  RequestTransport,
  ServerTransport,
}

/** What `live.health()` says; see {@link LiveServer.health}. */
export interface LiveHealth {
  /** Whether the server can do all it should: open, and its backplane (if any) reachable. */
  ok: boolean
  /** The backplane's state and since when; `null` without one. */
  backplane: BackplaneHealth | null
}

/**
 * A live server; see {@link createLiveServer}. `Id` is what `publish` returns: the id itself on
 * one node, a promise of it with a backplane (the id is the shared log's).
 */
export interface LiveServer<Id extends string | Promise<string> = string> {
  /** The base path, without a trailing slash. */
  readonly path: string
  /** The transports this server offers. */
  readonly transports: readonly ServerTransport[]
  /**
   * Serves the live routes and the WebSocket upgrade on `server`, in front of its request
   * listeners: those it has, and those added later, get every request outside `path` and none
   * under it; they stay the server's own (removing one works as usual). `close()` detaches.
   * @example
   * ```ts
   * const server = createServer(app)
   * live.attach(server) // app sees every request outside /live
   * server.listen(3000)
   *
   * // Express with its middleware in front of the HTTP transports: the WebSocket only here
   * app.use(authMiddleware, live.handle)
   * live.attach(app.listen(3000), { http: false })
   * ```
   */
  attach(server: Server, options?: AttachOptions): this
  /**
   * Handles `request` if it is at `path` (every channel in one request; an upgrade there is left
   * to the WebSocket) or under it, and returns `true`. Otherwise touches nothing, calls `next`
   * when given and returns `false` (a request target no URL parser accepts included when it
   * does not start with `path`). It is a Connect/Express middleware as it is, bound to the
   * server; it reads a POST's body itself, or takes the one a body parser before it read.
   * @example
   * ```ts
   * app.use(live.handle) // Express 5, before or after express.json()
   * http.createServer((req, res) => live.handle(req, res) || app(req, res))
   * ```
   */
  handle(request: IncomingMessage, response: ServerResponse, next?: () => void): boolean
  /**
   * Serves a Web-standard `Request` at `path` (every channel in one request, `?c=…`) or under it
   * (`<path>/<channel>`), in any runtime with `Request`, `Response` and `ReadableStream`:
   * Server-Sent Events, long polling, polling and the iframe, `POST` sends and CORS preflights, with the
   * same protocol, ids, history, resume, Origin checks, limits and flow control as on
   * `node:http` (a stream whose consumer stops reading is cut once `maxBacklog` messages wait,
   * and reported `ERR_SLOW_CLIENT`). Resolves as soon as the answer's head is known: a stream's
   * body keeps flowing. A request outside `path` is answered `404 ERR_NOT_FOUND`. Not served
   * here: the WebSocket (use `attach`). Bound to the server: pass it around as is.
   * @example
   * ```ts
   * // Next.js App Router, app/live/[...path]/route.ts
   * export const GET = live.fetch
   * export const POST = live.fetch
   * export const OPTIONS = live.fetch
   * // Bun, Deno, Hono: Bun.serve({ fetch: live.fetch }), app.all('/live/*', (c) => live.fetch(c.req.raw))
   * ```
   */
  fetch(request: Request): Promise<Response>
  /**
   * Publishes `data` (anything JSON can hold) on `channel`; returns the message id. With a
   * backplane it resolves the id once the shared log has the message, and rejects with
   * `ERR_BACKPLANE` when the log is unreachable (the backplane reports the outage to `onError`
   * once; a bad message is reported too), and a publish that is not awaited is never an
   * unhandled rejection. A server whose options may or may not hold a backplane is a
   * `LiveServer<string | Promise<string>>`: `await` what it returns.
   * @example
   * ```ts
   * const id = live.publish('prices', { AAPL: 191.2 }, { event: 'tick' })
   * const shared = await clustered.publish('prices', { AAPL: 191.2 }) // with a backplane
   * ```
   */
  publish(channel: string, data: unknown, options?: PublishOptions): Id
  /**
   * The state of `channel` and the id it reflects, for an app's REST answer that a client's
   * `load` (in @livedata/core) returns: the client then streams from exactly that id, so that
   * nothing published in between is lost or applied twice. On a latest-value channel
   * (`channels: { prices: { keep: 'last' } }`) it is `{ data, cursor }` of the newest message;
   * otherwise `{ cursor }`, the channel's newest id now (`0-0` when none), beside which the app
   * puts its own state, read in the same synchronous step as the cursor (the state a publish
   * changes in the same step as it publishes). With a backplane it is a promise: of a channel
   * the node follows, read as the node has it once loaded; of any other, the log's newest
   * message read once (`backplane.newest`, as `redisBackplane` has), which follows nothing and
   * takes nothing from `maxChannels`, so a route that snapshots any name a caller makes up
   * cannot lock real channels out (a backplane without `newest` loads the channel as a
   * subscribe would). There an app's own state should carry the id `publish` resolved with
   * instead (the node may not have read the newest yet, and a snapshot may join a read of the
   * log begun before that publish). Snapshots of one channel at the same time share one read of
   * the log; past `maxSnapshotReads` (default 64) reads in flight, one
   * more is rejected at once rather than queued. It rejects with `ERR_BACKPLANE` when the log
   * cannot be read, does not answer within 10 s, or is that busy. A bad channel name throws
   * `ERR_INVALID_CHANNEL`, a closed server `ERR_CLOSED` (with a backplane, as rejections; also
   * a snapshot whose read was still in flight when the server closed).
   * @example
   * ```ts
   * app.get('/api/prices', (req, res) => res.json(live.snapshot('prices'))) // { data, cursor }
   * app.get('/api/total', (req, res) => res.json({ data: total, cursor: live.snapshot('orders').cursor }))
   * ```
   */
  snapshot<T = unknown>(
    channel: string,
  ): Id extends Promise<string> ? Promise<ChannelSnapshot<T>> : ChannelSnapshot<T>
  /** Listens to the messages clients send. */
  on(event: 'message', listener: MessageListener): this
  /** Stops listening. */
  off(event: 'message', listener: MessageListener): this
  /** Ends every connection and detaches from the HTTP servers. */
  close(): Promise<void>
  /**
   * What the server holds now, for metrics and health checks.
   * @example
   * ```ts
   * setInterval(() => metrics.gauge('live.connections', live.stats().connections), 10_000)
   * ```
   */
  stats(): { channels: number; connections: number }
  /**
   * Whether this node is healthy, for a load balancer's health check: open, and its backplane
   * (if any) reachable. While the backplane is down the node keeps its clients and serves what
   * it holds; publishing fails and channels it has not loaded cannot be served.
   * @example
   * ```ts
   * app.get('/healthz', (req, res) => res.status(live.health().ok ? 200 : 503).json(live.health()))
   * ```
   */
  health(): LiveHealth
}

/**
 * Creates a live server: channels of JSON messages, each message with an id, a bounded history
 * per channel for resume, heartbeats and Origin checks, served over WebSocket (at `<path>`),
 * Server-Sent Events, long polling, polling and an iframe stream (every channel of a client in one
 * request at `<path>?c=…&c=…`, or one channel at `<path>/<channel>`);
 * clients send with a POST to the channel or over their WebSocket.
 *
 * @example
 * ```ts
 * const live = createLiveServer({ path: '/live', origins: ['https://app.example.com'] })
 * live.attach(httpServer)
 * setInterval(() => live.publish('prices', { AAPL: 191.2 }), 250)
 * live.on('message', (channel, data) => console.log(channel, data))
 *
 * // A backplane only where Redis is configured: publish gives `string | Promise<string>`
 * const either = createLiveServer({ backplane: url ? redisBackplane({ url }) : undefined })
 * const id = await either.publish('prices', { AAPL: 191.2 })
 * ```
 */
export function createLiveServer(
  options: LiveServerOptions & BackplaneOptions,
): LiveServer<Promise<string>>
export function createLiveServer(
  options?: LiveServerOptions & { backplane?: undefined },
): LiveServer<string>
export function createLiveServer(
  options: LiveServerOptions & Partial<BackplaneOptions>,
): LiveServer<string | Promise<string>>
export function createLiveServer(
  options: LiveServerOptions & Partial<BackplaneOptions> = {},
): LiveServer<string | Promise<string>> {
  const settings = resolveSettings(options)
  const { path, transports } = settings
  const { hub, channels, listeners, replicas } = createRegistry(settings)
  const { backplane } = settings
  // With a backplane, a snapshot of a channel this node does not follow reads the log's newest.
  const snapshotSource: SnapshotSource | null =
    backplane === null
      ? null
      : {
          reads:
            backplane.newest === undefined
              ? null
              : createNewestReads(backplane.newest.bind(backplane), settings.maxSnapshotReads),
          held: (name) => channels.has(name),
          keepLast: settings.keepLast,
        }
  backplane?.start({
    history: settings.hub.history,
    report: (error) => hub.report(error, { client: false }),
  })
  const nextId = createIdGenerator()
  /** Each server attached to: whether it serves HTTP there too, and how to detach. */
  const attached = new Map<Server, { http: boolean; detach: () => void }>()
  let closed = false
  const isClosed = (): boolean => closed
  const webSocket = createWebSocketEndpoint(hub)
  const stopHeartbeats = startHeartbeats(hub, settings.heartbeat)
  const handle = createRouter(settings, hub, isClosed)
  const serveFetch = createFetchRouter(settings, hub, isClosed)
  // One argument only: Next.js calls a route handler with a second (its context).
  const fetch = (request: Request): Promise<Response> => serveFetch(request)
  const upgrade = createUpgrade(settings, hub, isClosed, webSocket.upgrade)

  const hooks = createRuntimeHooks(settings, hub, isClosed, serveFetch, webSocket.accept)

  const live: LiveServer<string | Promise<string>> = {
    path,
    transports,
    handle,
    fetch,
    attach(server, attachOptions = {}) {
      if (closed) {
        throw new LiveServerError('ERR_CLOSED', 'Cannot attach: the live server is closed')
      }
      const http = attachOptions.http !== false
      const earlier = attached.get(server)
      if (earlier !== undefined) {
        if (earlier.http === http) return live
        throw new LiveServerError(
          'ERR_INVALID_OPTIONS',
          `This live server is already attached to that server with http: ${earlier.http}; attach it once, with the options you want`,
        )
      }
      const detach = attachTo(server, { path, hub, handle, upgrade }, attachOptions)
      attached.set(server, { http, detach })
      return live
    },
    publish(channel, data, publishOptions = {}) {
      if (backplane !== null) {
        return publishToBackplane(hub, backplane, isClosed, channel, data, publishOptions)
      }
      if (closed) throw closedError()
      return publish(hub, nextId, channel, data, publishOptions)
    },
    snapshot: <T>(channel: string) =>
      takeSnapshot<T>(hub, isClosed, channel, snapshotSource) as ChannelSnapshot<T>,
    on(event, listener) {
      if (event !== 'message' || typeof listener !== 'function') {
        throw new LiveServerError(
          'ERR_INVALID_OPTIONS',
          `live.on takes 'message' and a function, got ${String(event)}`,
        )
      }
      listeners.add(listener)
      return live
    },
    off(_event, listener) {
      listeners.delete(listener)
      return live
    },
    stats() {
      return { channels: channels.size, connections: hub.connections.size }
    },
    health() {
      const state = backplane?.health() ?? null
      return { ok: !closed && (state === null || state.state === 'up'), backplane: state }
    },
    async close() {
      if (closed) return
      closed = true
      replicas?.close()
      stopHeartbeats()
      for (const connection of hub.connections) connection.close()
      hub.connections.clear()
      webSocket.close()
      for (const { detach } of attached.values()) detach()
      attached.clear()
      await backplane?.close()
    },
  }
  // For the runtime adapters (@livedata/server/bun, /deno); not enumerable, not in the type.
  Object.defineProperty(live, RUNTIME_HOOKS, { value: hooks })
  return live
}
