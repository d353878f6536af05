import type { IncomingMessage } from 'node:http'
import type { Verdict } from './authorization'
import type { Channel } from './channel'
import type { HeaderMap } from './headers'
import type { PreparedChannels, ReplicaStart } from './replicas'
import type { ErrorHandler } from './report'

/** The transports a server can offer. */
export type ServerTransport = 'websocket' | 'sse' | 'long-polling' | 'polling' | 'iframe'

/** What carried a request: a subscribing transport, or `'http'` for a send by POST. */
export type RequestTransport = ServerTransport | 'http'

/** Every transport, in the order clients prefer them by default. */
export const SERVER_TRANSPORTS: readonly ServerTransport[] = [
  'websocket',
  'sse',
  'long-polling',
  'polling',
  'iframe',
]

/** An open connection the server keeps alive with heartbeats and ends on `close()`. */
export interface LiveConnection {
  heartbeat(): void
  close(): void
}

/** What `authorize` is asked about. */
export interface AuthorizeContext {
  /** The channel the request is for. */
  channel: string
  /** `subscribe` to receive, `send` to publish a client message. */
  action: 'subscribe' | 'send'
  /** The transport that asks: the one subscribing, or `'http'` for a POST send. */
  transport: RequestTransport
  /**
   * The request's headers, lowercase names. For WebSocket: the upgrade request's, plus those of
   * the client's `hello` frame that `helloHeaders` allows (by default `authorization`, a bearer
   * token a browser cannot put on an upgrade) and the upgrade request did not carry.
   */
  headers: HeaderMap
  /**
   * The HTTP request (for WebSocket, the upgrade request), for its cookies, address and URL.
   * Over WebSocket on Node it is an `IncomingMessage` equal to the upgrade request (method,
   * URL, `headers`, `rawHeaders`, `socket` with its address and TLS) but not that object: the
   * server keeps only its raw headers, URL and socket (an idle socket stays small) and makes a
   * new one for each frame (its `authorize` and `message` listeners share it). Properties set
   * on it, or caches keyed by it, do not carry over to the next frame; its body is empty.
   */
  request: IncomingMessage
}

/** Context of a client's send. */
export interface MessageContext {
  /** The event name the client gave, if any. */
  event: string | undefined
  /** How it arrived. */
  transport: 'http' | 'websocket'
  /** The request's headers, as in {@link AuthorizeContext.headers}. */
  headers: HeaderMap
  /**
   * The request that carried it (for WebSocket, the upgrade request: on Node an equal
   * `IncomingMessage` made for the frame, the one its `authorize` saw; see
   * {@link AuthorizeContext.request}).
   */
  request: IncomingMessage
  /**
   * The send's idempotency key (the `send` frame's `key`, the `Idempotency-Key` header), if
   * any. The server delivers a key once per channel within `idempotencyWindow`; a listener may
   * keep it too (a unique column) for a guarantee that outlives the window.
   */
  key?: string
}

/** Settings every transport reads. */
export interface HubSettings {
  /** The reconnection delay suggested to clients, in ms. */
  retry: number
  /** Messages kept per channel: the most a backlog (`replay`) can give. */
  history: number
  /** Bytes a connection's socket may hold before further messages wait in its backlog. */
  maxBufferedBytes: number
  /** Messages a connection may have waiting before it is judged too slow and closed. */
  maxBacklog: number
  /** The largest payload, in bytes. */
  maxPayload: number
  /** How long a long poll is held before it is answered empty, in ms. */
  longPollTimeout: number
  /** How long a send's body may take to arrive, in ms. */
  bodyTimeout: number
  /** The header names a WebSocket `hello` frame may add, lowercase. */
  helloHeaders: ReadonlySet<string>
}

/** What the server shares with its transports. */
export interface Hub {
  settings: HubSettings
  /** The channel of that name, created on first use. The name must be valid. */
  channel(name: string): Channel
  /**
   * Makes the channels of `starts` ready to subscribe to synchronously: with a backplane, each
   * is loaded from its log and has reached the id its client resumes from, and the transport
   * subscribes to the channels it resolves with, in the synchronous step that checks they are
   * still `current` (rejects with `ERR_BACKPLANE` when one cannot be loaded, in time or at
   * all); `null` when there is nothing to wait for (one node: `channel` gives them).
   */
  prepare(starts: readonly ReplicaStart[]): Promise<PreparedChannels> | null
  /** The channel of that name if it exists, else an empty one that is not kept. */
  peek(name: string): Channel
  /** Open connections, for heartbeats and `close()`. */
  connections: Set<LiveConnection>
  /** Asks the `authorize` hook; a hook that throws or rejects is `failed`, and is reported. */
  authorize(context: AuthorizeContext): Promise<Verdict>
  /**
   * Hands a client's message to every `message` listener; rejects with `ERR_LISTENER` if one of
   * them failed, with `ERR_BACKPLANE` if the idempotency store could not take its key.
   */
  receive(channel: string, data: unknown, context: MessageContext): Promise<void>
  /** Reports what went wrong to `onError`; never throws. */
  report: ErrorHandler
}

const CHANNEL = /^[\w.:@~-]{1,256}$/
const EVENT = /^[^\r\n\0]{1,256}$/

/** Whether `name` is a valid channel name. */
export const isChannelName = (name: unknown): name is string =>
  typeof name === 'string' && CHANNEL.test(name)

/** Whether `name` is a valid event name a client may send (reserved names included). */
export const isEventName = (name: unknown): name is string =>
  typeof name === 'string' && EVENT.test(name)
