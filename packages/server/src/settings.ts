import type { Backplane } from './backplane'
import { type ChannelsOption, channelPolicy } from './channel-options'
import { LiveServerError, type LiveServerErrorCode } from './errors'
import { helloHeaderNames } from './hello-headers'
import { createHostCheck, type HostCheck, type HostOption } from './hosts'
import {
  type AuthorizeContext,
  type HubSettings,
  SERVER_TRANSPORTS,
  type ServerTransport,
} from './hub'
import { createMemoryIdempotencyStore, type IdempotencyStore } from './idempotency-store'
import { MAX_NEWEST_READS } from './newest-reads'
import { createOriginCheck, type OriginCheck, type OriginOption } from './origin'
import { type ErrorContext, type ErrorHandler, safeReporter } from './report'

/** Options of {@link createLiveServer}. */
export interface LiveServerOptions {
  /** The base path; channels live at `<path>/<channel>`, the WebSocket at `<path>`. Default `/live`. */
  path?: string
  /** The transports offered. Default: all five. Clients fall back among what is offered. */
  transports?: readonly ServerTransport[]
  /** Messages kept per channel for resume. Default 1000; at least 1 with a backplane. */
  history?: number
  /** Interval of heartbeats in ms; 0 turns them off. Default 15 000. */
  heartbeat?: number
  /** The reconnection delay suggested to clients (`retry:`), in ms. Default 1000. */
  retry?: number
  /** How long a long poll is held before it is answered empty, in ms. Default 25 000. */
  longPollTimeout?: number
  /** Browser origins allowed to connect. Default: the server's own origin only. */
  origins?: OriginOption
  /**
   * `Host` names the server answers for: the DNS-rebinding defence. By default a request that
   * arrived on a loopback address needs a loopback host name (`localhost`, `127.0.0.1`, …) or
   * the host of an origin in `origins`; others are not checked. Refusals are `403 ERR_HOST`.
   * A proxy on the same machine that forwards another `Host` needs it set.
   * @example
   * ```ts
   * createLiveServer({ allowedHosts: ['app.example.com', /\.example\.com$/] })
   * ```
   */
  allowedHosts?: HostOption
  /** The largest payload, published or sent by a client, in bytes. Default 64 KiB. */
  maxPayload?: number
  /**
   * Bytes a connection's socket may hold before further messages wait (as references) in its
   * backlog; a connection more than a whole history (at least 1,000 messages) behind is closed
   * and resumes later. Default 1 MiB. An SSE or iframe stream holds at least 64 KiB whatever
   * this says: below its socket's own buffer, a stream would wait for a drain that never comes.
   */
  maxBufferedBytes?: number
  /**
   * How long a send's body (`POST`) may take to arrive, in ms; 0 turns the limit off. A slower
   * one is answered `408 ERR_BODY_TIMEOUT` and its connection closed. Default 10 000.
   * @example
   * ```ts
   * createLiveServer({ bodyTimeout: 5_000 }) // mobile clients on slow links get 5 s
   * ```
   */
  bodyTimeout?: number
  /**
   * Decides per request whether it may subscribe to or send on a channel; only `true` allows,
   * anything else is `403 ERR_FORBIDDEN` (final: the client stops). One that throws or rejects
   * (a database down) is `503 ERR_AUTHORIZE` (the client retries later) and is reported to
   * `onError` as the server's fault. Default: allow.
   * @example
   * ```ts
   * createLiveServer({
   *   authorize: async ({ channel, headers }) =>
   *     (await verify(headers.authorization))?.channels.includes(channel) ?? false,
   * })
   * ```
   */
  authorize?: (context: AuthorizeContext) => boolean | Promise<boolean>
  /**
   * Header names a WebSocket client may send in its `hello` frame (browsers cannot put headers
   * on an upgrade), case-insensitive. Default `['authorization']`. `authorize` and `message`
   * listeners see them only where the upgrade request did not carry the header: a header on the
   * upgrade always wins. Never list an identity header that a proxy in front sets
   * (`x-forwarded-user`, `x-forwarded-for`, …): where the proxy did not set it, any client could.
   * Names the browser controls (`host`, `origin`, `cookie`, `sec-*`, …) are refused. Hello
   * headers outside the list are ignored and reported (once per name).
   * @example
   * ```ts
   * createLiveServer({ helloHeaders: ['authorization', 'x-tenant'] })
   * ```
   */
  helloHeaders?: readonly string[]
  /**
   * How long an idempotency key is remembered, in ms: a send carrying a key the server already
   * accepted on that channel within the window (a retry after a lost acknowledgement, a send
   * flushed again after a reload) is acknowledged without reaching the `message` listeners
   * again. Keys are per channel. 0 turns it off (every send is delivered). Default 600 000
   * (10 minutes).
   * @example
   * ```ts
   * createLiveServer({ idempotencyWindow: 60 * 60_000 }) // clients offline for up to an hour
   * ```
   */
  idempotencyWindow?: number
  /**
   * Most idempotency keys the in-memory store remembers (about 100 bytes each); past it the
   * oldest is forgotten first, so no client can grow it without bound. A repeat of a forgotten
   * key is delivered again. Default 100 000.
   * @example
   * ```ts
   * createLiveServer({ maxIdempotencyKeys: 1_000_000 }) // about 100 MB at most
   * ```
   */
  maxIdempotencyKeys?: number
  /**
   * Where idempotency keys are kept, in place of the in-memory store (`idempotencyWindow` and
   * `maxIdempotencyKeys` then apply to neither): a store every node shares, for several nodes.
   * @example
   * ```ts
   * createLiveServer({ idempotencyStore: { claim: (key) => redisSetNx(key), release: (key) => redisDel(key) } })
   * ```
   */
  idempotencyStore?: IdempotencyStore
  /**
   * Receives what went wrong while serving: a client's fault (`context.client`: a bad frame, a
   * refused origin or host, an aborted or late body) or the server's own (a `message` listener
   * or `authorize` threw). Default: {@link consoleReporter}, one line per report, at most 20
   * client faults and 20 server faults per 10 s (each kind its own budget), a stack only for
   * the server's own faults. It must not throw.
   * @example
   * ```ts
   * createLiveServer({
   *   onError: (error, { client, channel }) =>
   *     logger[client ? 'info' : 'error']({ code: error.code, channel, err: error }),
   * })
   * ```
   */
  onError?: (error: LiveServerError, context: ErrorContext) => void
  /**
   * With a backplane: most channels this node follows at once (each is a ring of `history`
   * messages and a follow of its log). A request for one more is answered `503 ERR_BACKPLANE`
   * (an error frame over WebSocket; clients retry), and reaching the limit is reported to
   * `onError` once, until the node is below it again. A channel nobody follows is let go 30 s
   * after its last client left. Without a backplane it is not used. Default 10 000.
   * @example
   * ```ts
   * createLiveServer({ backplane, maxChannels: 50_000 }) // a node serving many small rooms
   * ```
   */
  maxChannels?: number
  /**
   * With a backplane: most reads of a channel's newest message in flight at once, the ones
   * `live.snapshot(channel)` makes of channels this node does not follow (`backplane.newest`).
   * Snapshots of one channel at the same time share one read; a snapshot that would need one
   * more read is rejected at once with `ERR_BACKPLANE` (the backplane is busy), never queued, so
   * a route that snapshots whatever name a caller sends cannot pile reads onto the backplane.
   * Each read also gives up after 10 s (`ERR_BACKPLANE`). Without a backplane it is not used.
   * Default 64.
   * @example
   * ```ts
   * createLiveServer({ backplane, maxSnapshotReads: 256 }) // a node behind a busy REST API
   * ```
   */
  maxSnapshotReads?: number
  /**
   * Options per channel, by name or from a function of the name (asked once, when the server
   * first uses a channel). `keep: 'last'` makes a latest-value channel: a client that joins
   * without an id gets its newest message at once, on every transport (a ticker that publishes
   * every few seconds shows its value to a late joiner now, not at the next publish). It keeps
   * the newest message of the channel whatever its event name, not one per event name. A bad
   * record throws `ERR_INVALID_OPTIONS`; a function's bad answer is reported to `onError` and
   * the channel gets the defaults. Default: none.
   * @example
   * ```ts
   * createLiveServer({ channels: { prices: { keep: 'last' } } })
   * createLiveServer({ channels: (name) => (name.startsWith('ticker:') ? { keep: 'last' } : undefined) })
   * ```
   */
  channels?: ChannelsOption
}

/** The option that makes a server one node of several: see {@link BackplaneOptions.backplane}. */
export interface BackplaneOptions {
  /**
   * A shared log of every channel, for several nodes behind one load balancer (no sticky
   * sessions): history lives there, a publish on any node reaches the clients of every node
   * with one id, sends' idempotency keys are shared (unless `idempotencyStore` is given). With
   * one, `live.publish` resolves the id (a `Promise<string>`). The server owns it: `close()`
   * closes it. Default: none, one node, everything in memory.
   * @example
   * ```ts
   * import { redisBackplane } from '@livedata/redis'
   * createLiveServer({ backplane: redisBackplane({ url: process.env.REDIS_URL }) })
   * ```
   */
  backplane: Backplane
}

/** The options of a live server, checked and with every default filled in. */
export interface ServerSettings {
  /** The base path, without a trailing slash. */
  path: string
  /** The transports offered, in the order given. */
  transports: readonly ServerTransport[]
  /** The same, for lookups. */
  offered: ReadonlySet<ServerTransport>
  /** Interval of heartbeats in ms; 0 when they are off. */
  heartbeat: number
  /** Whether any origin may connect (`origins: '*'`): CORS without credentials. */
  anyOrigin: boolean
  /** Whether a browser origin may connect. */
  originAllowed: OriginCheck
  /** Whether the request's `Host` is one the server answers for. */
  hostAllowed: HostCheck
  /** The app's `authorize` hook, if any. */
  authorize: LiveServerOptions['authorize']
  /** Where problems are reported; never throws. */
  report: ErrorHandler
  /** Where idempotency keys are kept; `null` when keys are not remembered. */
  idempotency: IdempotencyStore | null
  /** The shared log of the channels; `null` for one node in memory. */
  backplane: Backplane | null
  /** With a backplane, most channels the node follows at once. */
  maxChannels: number
  /** With a backplane, most reads of a channel's newest message in flight at once. */
  maxSnapshotReads: number
  /** Whether a channel keeps its latest value for fresh subscribers (`keep: 'last'`). */
  keepLast: (channel: string) => boolean
  /** What the transports read. */
  hub: HubSettings
}

const BACKPLANE_METHODS = ['start', 'publish', 'follow', 'has', 'health', 'close'] as const

/** The backplane option, checked: every method of a `Backplane`. */
function checkBackplane(backplane: Backplane | undefined): Backplane | null {
  if (backplane === undefined) return null
  const missing = BACKPLANE_METHODS.filter(
    (name) => typeof (backplane as Partial<Backplane> | null)?.[name] !== 'function',
  )
  if (missing.length > 0) {
    throw new LiveServerError(
      INVALID,
      `backplane must be a Backplane (redisBackplane() from @livedata/redis); it has no ${missing.join(', ')}`,
    )
  }
  return backplane
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new LiveServerError(
      'ERR_INVALID_OPTIONS',
      `${name} must be a finite number >= 0, got ${String(value)}`,
    )
  }
  return Math.floor(value)
}

const INVALID: LiveServerErrorCode = 'ERR_INVALID_OPTIONS'

/**
 * Checks the options of `createLiveServer` and fills in the defaults; a bad one throws a
 * `LiveServerError` with code `ERR_INVALID_OPTIONS` that names it.
 *
 * @example
 * ```ts
 * resolveSettings({ path: '/live/', history: 50 }).path // '/live'
 * ```
 */
export function resolveSettings(
  options: LiveServerOptions & Partial<BackplaneOptions>,
): ServerSettings {
  const path = (options.path ?? '/live').replace(/\/+$/, '')
  if (!path.startsWith('/')) {
    throw new LiveServerError(INVALID, `path must start with "/", got "${path}"`)
  }
  const transports = options.transports ?? SERVER_TRANSPORTS
  for (const transport of transports) {
    if (!SERVER_TRANSPORTS.includes(transport)) {
      throw new LiveServerError(
        INVALID,
        `Unknown transport "${transport}"; the server offers ${SERVER_TRANSPORTS.join(', ')}`,
      )
    }
  }
  const history = positive('history', options.history, 1000)
  const heartbeat = positive('heartbeat', options.heartbeat, 15_000)
  const originAllowed = createOriginCheck(options.origins)
  const hostAllowed = createHostCheck(options.allowedHosts, options.origins)
  const helloHeaders = helloHeaderNames(options.helloHeaders)
  const window = positive('idempotencyWindow', options.idempotencyWindow, 600_000)
  const maxKeys = positive('maxIdempotencyKeys', options.maxIdempotencyKeys, 100_000)
  const store = options.idempotencyStore
  if (
    store !== undefined &&
    (typeof store?.claim !== 'function' || typeof store?.release !== 'function')
  ) {
    throw new LiveServerError(INVALID, 'idempotencyStore must have claim(key) and release(key)')
  }
  const backplane = checkBackplane(options.backplane)
  if (backplane !== null && history === 0) {
    throw new LiveServerError(
      INVALID,
      'history must be at least 1 with a backplane: a node knows how far it has read a channel from its ring, and a client resuming there needs it',
    )
  }
  const maxChannels = positive('maxChannels', options.maxChannels, 10_000)
  if (maxChannels === 0) {
    throw new LiveServerError(INVALID, 'maxChannels must be at least 1, got 0')
  }
  const maxSnapshotReads = positive('maxSnapshotReads', options.maxSnapshotReads, MAX_NEWEST_READS)
  if (maxSnapshotReads === 0) {
    throw new LiveServerError(INVALID, 'maxSnapshotReads must be at least 1, got 0')
  }
  const report = safeReporter(options.onError)
  return {
    maxChannels,
    maxSnapshotReads,
    keepLast: channelPolicy(options.channels, report),
    path,
    transports,
    backplane,
    offered: new Set(transports),
    heartbeat,
    anyOrigin: options.origins === '*',
    originAllowed,
    hostAllowed,
    authorize: options.authorize,
    report,
    idempotency:
      store ??
      backplane?.idempotency ??
      (window > 0 && maxKeys > 0 ? createMemoryIdempotencyStore({ window, maxKeys }) : null),
    hub: {
      retry: positive('retry', options.retry, 1000),
      history,
      bodyTimeout: positive('bodyTimeout', options.bodyTimeout, 10_000),
      maxPayload: positive('maxPayload', options.maxPayload, 64 * 1024),
      maxBufferedBytes: positive('maxBufferedBytes', options.maxBufferedBytes, 1024 * 1024),
      longPollTimeout: positive('longPollTimeout', options.longPollTimeout, 25_000),
      // A client more than a whole history behind could not resume without a gap anyway.
      maxBacklog: Math.max(history, 1000),
      helloHeaders,
    },
  }
}
