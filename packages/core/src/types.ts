import type { LiveDataError } from './errors'
import type { InspectEvent, InspectListener } from './inspector'
import type { Link, LinkPool } from './link'
import type { UpgradeOptions } from './upgrade-prober'

/** Where a source stands. See docs/architecture.md for the state machine. */
export type LiveStatus = 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed'

/**
 * The techniques a source can receive over: the built-in ones, socket.io's, or the name of a
 * transport an add-on defines (any string).
 */
export type TransportName =
  | 'polling'
  | 'long-polling'
  | 'iframe'
  | 'sse'
  | 'websocket'
  | 'socket.io'
  | (string & {})

/**
 * This tab's part in a connection shared by the tabs of a browser (`crossTab`): it holds the
 * connection (`'leader'`), rides the leader's (`'follower'`), or has its own (`'solo'`: `crossTab`
 * off, or a browser without Web Locks or BroadcastChannel).
 */
export type TabRole = 'leader' | 'follower' | 'solo'

/** The state of one source at one moment. Immutable: a new object whenever anything changes. */
export interface LiveSnapshot<T> {
  /** Where the connection stands. */
  readonly status: LiveStatus
  /**
   * The data so far: `initialData`, then whatever `reduce` made of the messages. `T` includes
   * `undefined` for a source created without `initialData`.
   */
  readonly data: T
  /** The last error, `null` while healthy. Kept through `reconnecting`, cleared on `open`. */
  readonly error: LiveDataError | null
  /**
   * The transport in use or being tried, `null` before the first connect. A follower tab shows
   * the leading tab's.
   */
  readonly transport: TransportName | null
  /** The id of the last message delivered, from which a reconnect resumes. */
  readonly lastEventId: string | null
  /** The number of the current reconnect attempt; `0` while open or on the first connect. */
  readonly attempt: number
  /** `true` once the server said its history no longer reaches back to `lastEventId`. */
  readonly gap: boolean
  /** This tab's part in the connection the tabs share (`crossTab`); `'solo'` without it. */
  readonly tab: TabRole
}

/** A message as the source received it, passed to `reduce` beside the parsed data. */
export interface LiveMessage {
  /** The message id, `null` when the stream gave none. */
  readonly id: string | null
  /** The event name; `'message'` for unnamed events. */
  readonly event: string
}

/** A Standard Schema (v1) validator, as zod, valibot and arktype export. Only sync results. */
export interface StandardSchemaLike<T> {
  readonly '~standard': {
    readonly version: 1
    readonly validate: (
      value: unknown,
    ) =>
      | { readonly value: T; readonly issues?: undefined }
      | { readonly issues: ReadonlyArray<{ readonly message: string }> }
      | Promise<unknown>
  }
}

/** Turns a payload into `M`: a Standard Schema, or a function that returns the value or throws. */
export type LiveSchema<M> = StandardSchemaLike<M> | ((value: unknown) => M)

/** Options of `client.source(channel, options)`. */
export interface SourceOptions<T, M = T> {
  /** The data before the first message, and what server rendering shows. */
  initialData?: T
  // A method, not a property holding a function: its parameters are then compared both ways,
  // so options typed `SourceOptions<T, M>` (a generic wrapper's, or shared options declared
  // with this type) fit `client.source`, whose overloads see `previous` as `T | undefined`
  // when nothing says `initialData` is there.
  /**
   * Folds a message into the data. Defaults to "the latest message replaces the data".
   * `previous` is `T`: with `initialData` it is never `undefined`.
   * @example reduce: (list, item) => [...list, item].slice(-50) // with initialData: []
   */
  reduce?(previous: T, data: M, message: LiveMessage): T
  /**
   * Validates each parsed payload; a failure becomes `ERR_SCHEMA` and the message is skipped.
   * Without `reduce`, the schema's output type is the source's data type.
   * @example client.source('prices', { schema: PriceSchema }) // LiveSource<Price | undefined>
   */
  schema?: LiveSchema<M>
  /**
   * A backlog on subscribe: a source that has no id yet asks @livedata/server for the last
   * `replay` messages the channel holds (capped by the server's `history`), so a late joiner of
   * a chat sees the recent messages. A source that resumes from an id gets what it missed
   * instead. Channels only; an integer from 1.
   * @example client.source('chat', { initialData: [], reduce: append, replay: 50 })
   */
  replay?: number
  /**
   * The current state, then the stream: before its first connect, the source runs `load` (an
   * app's REST call that answers {@link LoadedState}, e.g. from `live.snapshot(channel)` of
   * @livedata/server), sets `data` to the state loaded and streams from exactly its `cursor`, so
   * that nothing published in between is lost or applied twice. `signal` aborts when the source
   * stops. A failure is `ERR_LOAD` in the snapshot and is tried again with the client's backoff
   * (`status: 'reconnecting'`); a `LiveDataError` that is not `retryable` closes the source.
   * A source that already has a `lastEventId` resumes without loading; a gap (history no longer
   * reaches back) loads again, unless `gap: 'keep'`. Channels of @livedata/server only.
   * @example
   * ```ts
   * client.source('prices', {
   *   load: ({ signal }) => fetch('/api/prices', { signal }).then((r) => r.json()), // { data, cursor }
   * })
   * ```
   */
  load?(context: LoadContext): Promise<LoadedState<T>>
  /**
   * What a gap (history no longer reaches back to the source's last id) does to `data`:
   * `'reset'` (default) rebuilds it from `initialData` over what the server replays, right for
   * a channel whose messages each carry a whole state; `'keep'` keeps the data and folds the
   * replay onto it, right for a chat that should not go blank. `gap: true` in the snapshot
   * either way.
   * @example client.source('chat', { initialData: [], reduce: append, gap: 'keep' })
   */
  gap?: 'reset' | 'keep'
  /**
   * Only messages with this event name reach the source. Defaults to every event of a channel
   * on @livedata/server, and to unnamed (`message`) events of a plain endpoint.
   */
  event?: string
  /**
   * A plain endpoint nobody wrote for @livedata: the full URL of an SSE stream.
   * Without it the source is a channel of the client's `url`.
   */
  url?: string
  /**
   * The transport for a plain `url`: a name (built in, or one the client `register`s) or a
   * transport object. Defaults to `'websocket'` for `ws:`/`wss:` URLs, else `'sse'`.
   */
  transport?: TransportName | TransportDefinition
  /**
   * Turns the raw text of a message into the payload. Defaults to `JSON.parse` for channels of
   * @livedata/server and to the text itself for plain endpoints. Channel messages that arrive
   * over WebSocket, polling or the iframe are JSON values already and skip it.
   */
  parse?: (text: string) => unknown
}

/** What a source's `load` is given. */
export interface LoadContext {
  /** Aborted when the source stops (its last subscriber left, `client.close()`, a reconnect). */
  readonly signal: AbortSignal
}

/**
 * What a source's `load` resolves with: a state and the id of the last message it reflects
 * (what `live.snapshot(channel)` of @livedata/server gives, or the app's state beside that
 * snapshot's cursor).
 * @example
 * ```ts
 * const loaded: LoadedState<Price> = { data: { AAPL: 191.2 }, cursor: '1700000000000-3' }
 * ```
 */
export interface LoadedState<T> {
  /** The state: the source's `data` from now on; absent, the data is `initialData`. */
  data?: T
  /** The id of the last message the state reflects; the stream starts right after it. */
  cursor: string
}

/**
 * Options of `client.source(channel, options)` that carry `initialData`: the source's `data`
 * (and `reduce`'s `previous`) is then `T`, never `undefined`. Annotate options shared between
 * calls with it (or with `SourceOptions<T, M>`, which gives `T | undefined`, as `initialData`
 * may be missing); `satisfies` is not needed.
 *
 * @example
 * ```ts
 * const feedOptions: SourceOptionsWithInitialData<Item[], Item> = {
 *   initialData: [],
 *   reduce: (list, item) => [...list, item].slice(-50),
 * }
 * const feed = client.source('feed', feedOptions) // LiveSource<Item[]>
 * function useFeed<T>(options: SourceOptionsWithInitialData<T[], T>) {
 *   return client.source('feed', options) // LiveSource<T[]>
 * }
 * ```
 */
export type SourceOptionsWithInitialData<T, M = T> = SourceOptions<T, M> & { initialData: T }

/** Reconnection policy: exponential backoff with full jitter, bounded. */
export interface ReconnectOptions {
  /** The base delay in ms; a server's `retry:` hint replaces it. Default 500. */
  minDelay?: number
  /** The cap in ms. Default 30 000. */
  maxDelay?: number
  /** The growth per attempt. Default 2. */
  factor?: number
  /** The share of the delay that is random, from 0 (none) to 1 (full jitter). Default 1. */
  jitter?: number
  /** Attempts before giving up with `ERR_RECONNECT_EXHAUSTED`. Default `Infinity`. */
  maxAttempts?: number
}

/** Timers the client uses; inject fakes in tests. */
export interface LiveTimers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/**
 * The browser signals the client reacts to. The default listens to `online`, `offline` and
 * `visibilitychange` on `window`/`document` when they exist, and does nothing elsewhere.
 */
export interface LiveEnvironment {
  /** Whether the network is believed to be up. */
  isOnline(): boolean
  /** Whether the page is visible. */
  isVisible(): boolean
  /** Calls `listener` whenever online/visibility changes; returns a function that stops it. */
  subscribe(listener: () => void): () => void
}

/** Headers sent with every request, or a function called on every connect (for fresh tokens). */
export type HeadersOption =
  | Record<string, string>
  | (() => Record<string, string> | Promise<Record<string, string>>)

/**
 * Query parameters added to every request URL, or a function called on every connect (for a
 * fresh token).
 */
export type QueryOption =
  | Record<string, string>
  | (() => Record<string, string> | Promise<Record<string, string>>)

/** Options of `createLiveClient`. */
export interface LiveClientOptions {
  /**
   * The base URL of a @livedata/server endpoint, e.g. `http://localhost:3000/live`. It may carry
   * a query of its own (`/live?token=abc`): every transport keeps it, the channel goes into the
   * path (`/live/news?token=abc`).
   *
   * Several URLs (the nodes of one cluster, whose message ids are the same everywhere) give
   * failover: the client uses the first, and when every transport of a fallback round failed on
   * one (a node down), it moves to the next for the next round (after the last, the first),
   * resuming there from its cursors. It stays on a URL that works: a connection that opened and
   * dropped is retried on the same URL.
   * @example url: ['https://a.example.com/live', 'https://b.example.com/live']
   */
  url?: string | readonly string[]
  /** Transports in order of preference. Default: every transport the client knows. */
  transports?: ReadonlyArray<TransportName | TransportDefinition>
  /**
   * Transports this client knows by name, for `transports` and a plain source's `transport`:
   * an add-on (the socket.io transport of `@livedata/socket.io`, which channels use only when
   * `transports` names it), or a built-in with other settings, under its own name.
   * @example register: [pollingTransport({ interval: 10_000 })] // 'polling' polls every 10 s
   */
  register?: readonly TransportDefinition[]
  /** Reconnection policy. */
  reconnect?: ReconnectOptions
  /**
   * After falling back to a worse transport, probe the better ones in the background and move
   * up when one works: from `minDelay` (10 s), doubling after each failed probe up to `maxDelay`
   * (5 min), one probe at a time, paused while the page is hidden or offline. `false`: stay.
   * @example upgrade: { minDelay: 30_000 }
   */
  upgrade?: false | UpgradeOptions
  /** Close and reconnect when nothing arrived for this long, in ms. Default 35 000. */
  heartbeatTimeout?: number
  /** How long the last unsubscribe waits before disconnecting, in ms. Default 1 000. */
  disconnectDelay?: number
  /** The largest message accepted, in characters. Default 1 MiB. */
  maxMessageSize?: number
  /** A transport that has not opened after this long is given up for the next one, in ms. Default 10 000. */
  openTimeout?: number
  /** Sends waiting while the source is not connected, at most. Default 100. */
  maxQueuedSends?: number
  /** How long a send may wait (queued, or for the server's answer), in ms. Default 10 000. */
  sendTimeout?: number
  /**
   * Keeps every send of a channel in IndexedDB (database `livedata`) from before it goes out
   * until it settles, so that sends a page could not deliver (a reload, a crash, a tab closed
   * while offline) are sent by the next page of this origin with this `url`, in order, by POST,
   * and delivered once (each send carries an idempotency key the server remembers for its
   * `idempotencyWindow`, 10 minutes by default). At most 1,000 sends and 1 MiB of payload wait
   * (`ERR_SEND_QUEUE_FULL` past that). Without IndexedDB or Web Locks (Node, old browsers) sends
   * stay in memory, without an error. A send rejected with `ERR_SEND_TIMEOUT` is forgotten:
   * raise `sendTimeout` for as long as a send may wait offline. Default `false`; see
   * docs/guides/persisted-sends.md.
   * @example createLiveClient({ url: '/live', persistSends: true, sendTimeout: 24 * 3600_000 })
   */
  persistSends?: boolean
  /**
   * Request headers (a bearer token, say): an object, or a function (sync or async) called on
   * every connect and every HTTP send. They go on every HTTP request, and over the WebSocket,
   * which cannot carry headers from a browser, in a `hello` first frame.
   * @example headers: async () => ({ authorization: `Bearer ${await getToken()}` })
   */
  headers?: HeadersOption
  /**
   * Query parameters added to every request URL: SSE, polls, sends, the WebSocket upgrade and
   * the iframe's `src`. An object, or a function (sync or async) called on every connect.
   * @example query: () => ({ token: session.token })
   */
  query?: QueryOption
  /**
   * Whether `fetch` sends cookies (SSE, polls and HTTP sends); `'include'` for cookies on a
   * cross-origin server. The WebSocket and the iframe always carry the browser's cookies for
   * their URL. Default: `fetch`'s own (`'same-origin'`).
   * @example credentials: 'include'
   */
  credentials?: RequestCredentials
  /** The `fetch` to use. Default: the global one. */
  fetch?: typeof fetch
  /**
   * The `WebSocket` constructor to use (in Node, the one of `ws`): anything whose instances have
   * the {@link WebSocketLike} surface. Default: the global one.
   */
  WebSocket?: unknown
  /** Timers. Default: the global `setTimeout`/`clearTimeout`. */
  timers?: LiveTimers
  /**
   * Share one connection between the tabs of this browser that use the same `url`: one tab
   * leads (holds the connection), the others ride it through BroadcastChannel, and another leads
   * when it goes (docs/guides/cross-tab.md). Default `false`: sharing a connection shares
   * credentials, so every tab must be the same user's. Ignored, with no error, where Web Locks
   * or BroadcastChannel are missing (Node, old browsers): `snapshot.tab` says `'solo'`.
   * @example createLiveClient({ url: '/live', crossTab: true })
   */
  crossTab?: boolean
  /** Online and visibility signals. Default: the browser's, or none outside a browser. */
  environment?: LiveEnvironment
  /** A source of randomness in [0, 1) for jitter. Default `Math.random`. */
  random?: () => number
}

/** A message as a transport hands it over: raw text to parse, or a value already decoded. */
export interface TransportMessage {
  /** The raw text, for text transports (SSE, a plain WebSocket, a plain polled URL). */
  text?: string
  /** The decoded value, for transports whose frames are JSON already. */
  value?: unknown
  /** The event name; `'message'` for unnamed events. */
  event: string
  /** The message id, `null` when the stream gave none. */
  id: string | null
}

/** What a transport reports to the connection that drives it. */
export interface TransportHandlers {
  /** The transport is connected and receiving. */
  onOpen(): void
  /** Anything arrived (data or heartbeat): proof of life. */
  onActivity(): void
  /** A message arrived. */
  onMessage(message: TransportMessage): void
  /** Where the stream stands although no message came: resume from here. */
  onCursor(id: string): void
  /** The server asked for a reconnection delay, in ms. */
  onRetry(ms: number): void
  /**
   * Messages were missed (history no longer reaches back to the requested id). `replay`
   * (default `true`): the server replays all it still holds next, and the source's `gap` option
   * says what becomes of the data; `false`: nothing comes back, the data is kept.
   */
  onGap(replay?: boolean): void
  /** A problem that does not end the connection (a frame too large, say). */
  onError(error: LiveDataError): void
  /** The connection ended. `error` says why; none means the server ended it cleanly. */
  onClose(error?: LiveDataError): void
  /**
   * The transport that really carries this connection, when it is another's (a leading tab's
   * connection, for the `crossTab` link): the snapshot shows it instead of this transport's name.
   */
  onVia?(transport: TransportName | null): void
}

/**
 * The part of the WebSocket API the WebSocket transport uses: the browser's and `ws`'s both
 * have it, and a transport add-on can rely on it for `context.WebSocket`'s instances.
 */
export interface WebSocketLike {
  readonly readyState: number
  onopen: (() => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: (() => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

/**
 * What a transport gets to open one source's connection: where (the URL, the client's base URL,
 * the source's cursor), with what (headers, credentials, the `fetch` and `WebSocket` to use,
 * limits) and the client's environment and links. Settings of one transport are given to its
 * factory instead (`pollingTransport({ interval })`).
 */
export interface TransportContext {
  /** The URL to connect to: the channel's URL, or the plain endpoint's. */
  url: string
  /** The client's base URL (where @livedata/server lives), with the client's query. */
  baseUrl: string
  /** The channel name (the source's key). */
  key: string
  /** The source's `event` option, if any: the event a plain transport listens to and sends. */
  event: string | undefined
  /** Whether the URL is a channel of @livedata/server (not a plain endpoint). */
  channel: boolean
  /** The id to resume after, if any. */
  lastEventId: string | null
  /** The source's `replay` option: a backlog to ask for when `lastEventId` is `null`. */
  replay: number | undefined
  /** Headers resolved for this connect. */
  headers: Record<string, string>
  /**
   * The client's `query` resolved for this connect, as `name=value&…` (already encoded), `''`
   * when none. It is already part of `baseUrl` and, for a channel, of `url`; a transport that
   * builds its URLs some other way adds it itself.
   */
  query: string
  /** The client's `credentials` option, for every `fetch`. */
  credentials: RequestCredentials | undefined
  /** The `fetch` to use. */
  fetch: typeof fetch
  /** The `WebSocket` constructor, if any (its instances are {@link WebSocketLike}). */
  WebSocket: unknown
  /** The largest message accepted, in characters. */
  maxMessageSize: number
  /** How long a send over a connection may wait for the server's acknowledgement, in ms. */
  sendTimeout: number
  timers: LiveTimers
  environment: LiveEnvironment
  /**
   * The client's shared connections: a transport that carries many channels over one connection
   * keeps it here, one {@link Link} per key (see docs/guides/writing-a-transport.md).
   */
  links: LinkPool
}

/** An open connection of a transport. */
export interface TransportConnection {
  /** Ends the connection; `reason` says why, when the client gave up on it (a heartbeat timeout). */
  close(reason?: LiveDataError): void
  /**
   * Sends over this connection; absent when the transport has no way back (SSE, polling).
   * Resolves with the server's acknowledgement, if the protocol carries one (socket.io's does).
   * `key` is the send's idempotency key: a transport whose server takes it passes it on (the
   * WebSocket's `send` frame `key`), so that a send tried again is delivered once.
   */
  send?(data: unknown, event: string | undefined, key?: string): Promise<unknown>
}

/** A transport: a name and a function that opens one connection. */
export interface TransportDefinition {
  readonly name: TransportName
  /**
   * Whether silence on an open connection means it is dead. Streams and long polls say yes;
   * short polling, quiet between requests by design, says no.
   */
  readonly heartbeat?: boolean
  connect(context: TransportContext, handlers: TransportHandlers): TransportConnection
}

/** Options of `source.send`. */
export interface SendOptions {
  /** The event name the server sees. */
  event?: string
}

/**
 * One live value: subscribe to it, read its snapshot, send on its channel. Its methods are bound:
 * pass `source.subscribe` or `source.getSnapshot` around detached (as `useSyncExternalStore` does).
 */
export interface LiveSource<T, Send = unknown, Ack = unknown> {
  /** The channel name, or the key of a plain endpoint. */
  readonly key: string
  /**
   * Calls `listener` after every change of the snapshot. The first subscriber connects; the
   * last one disconnects after `disconnectDelay`. Returns the unsubscribe function.
   */
  subscribe(listener: () => void): () => void
  /** The current snapshot; the same object until something changes. */
  getSnapshot(): LiveSnapshot<T>
  /** The snapshot for server rendering: `initialData`, status `connecting`. Always the same object. */
  getServerSnapshot(): LiveSnapshot<T>
  /**
   * Sends `data` on the source's channel; resolves when the server accepted it, with its
   * acknowledgement where the transport carries one (socket.io), else `undefined`. A payload
   * JSON cannot carry (`undefined`, a function, a symbol, a bigint, a cycle) is rejected at once
   * with `ERR_INVALID_PAYLOAD` and never sent.
   * @example await chat.send({ text: 'hi' }, { event: 'say' })
   */
  send(data: Send, options?: SendOptions): Promise<Ack>
}

/** A client: one per app, shared by every source. */
export interface LiveClient {
  /**
   * Returns the source named `channel`: the same one every time for the same name, whatever the
   * options (they apply when it is created; in development a second call with other options
   * warns), so give a plain endpoint a name of its own. With `initialData`, `data` is `T`;
   * without, `T | undefined`. `Send` and `Ack` type `send`.
   *
   * @example
   * ```ts
   * const feed = client.source<Item[], Item>('feed', { initialData: [], reduce: (l, i) => [...l, i] })
   * const prices = client.source('prices', { schema: PriceSchema }) // LiveSource<Price | undefined>
   * const chat = client.source<Line[], Line, Draft>('chat', { initialData: [], replay: 50 })
   * ```
   *
   * The overloads: `schema` with `initialData` (`data` is the schema's output), `initialData`,
   * `schema` alone, neither. Each takes `<T, M, Send, Ack>` (the schema ones ignore `M`), so that
   * explicit type arguments mean the same whichever applies.
   */
  source<T, _M = T, Send = unknown, Ack = unknown>(
    channel: string,
    options: SourceOptions<T, T> & { initialData: T; schema: LiveSchema<T>; reduce?: undefined },
  ): LiveSource<T, Send, Ack>
  /** A source with `initialData`: `data` is `T`, and so is `reduce`'s `previous`. */
  source<T, M = T, Send = unknown, Ack = unknown>(
    channel: string,
    options: SourceOptionsWithInitialData<T, M>,
  ): LiveSource<T, Send, Ack>
  /** A source whose `schema` gives its data type (no `reduce`): `data` is its output or `undefined`. */
  source<T, _M = T, Send = unknown, Ack = unknown>(
    channel: string,
    options: SourceOptions<T | undefined, T> & { schema: LiveSchema<T>; reduce?: undefined },
  ): LiveSource<T | undefined, Send, Ack>
  /** A source without `initialData`: `data` is `undefined` until the first message. */
  source<T, M = T, Send = unknown, Ack = unknown>(
    channel: string,
    options?: SourceOptions<T | undefined, M>,
  ): LiveSource<T | undefined, Send, Ack>
  /**
   * Restarts the connection of every running source now, with fresh `headers` and `query` and
   * the attempt count reset; sources that a final error (`ERR_FORBIDDEN`, say) closed come back
   * too, as long as someone subscribes. Call it after a token refresh or a login.
   * @example await refreshToken(); client.reconnect()
   */
  reconnect(): void
  /** Closes every source; further subscriptions stay `closed`. */
  close(): void
  /** Whether `close()` was called. */
  readonly closed: boolean
  /**
   * Calls `listener` with every step this client takes (an {@link InspectEvent}: connection
   * states, transport tries, fallbacks, backoff timers, probes, cursor moves, gaps, sends, the
   * tab's role), first with where each source stands now; returns the function that stops it.
   * Nothing is reported, or built, while nobody inspects. For a panel, see `@livedata/devtools`.
   *
   * @example
   * ```ts
   * const stop = client.inspect((event) => console.debug(event.type, event))
   * ```
   */
  inspect(listener: InspectListener): () => void
}
