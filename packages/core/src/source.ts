import { type ConnectionConfig, type ConnectionListener, createConnection } from './connection'
import { resolveHeaders, resolveQuery, withQuery } from './credentials'
import { closedError, LiveDataError } from './errors'
import { httpSend } from './http-send'
import { newIdempotencyKey } from './idempotency-key'
import { compareIds } from './ids'
import { reportSend } from './inspector'
import type { LinkPool } from './link'
import { createLoadStep } from './load-step'
import { createMessagePipeline } from './message-pipeline'
import type { PersistedSends } from './persisted-sends'
import { payloadText } from './send-payload'
import { createSendQueue } from './send-queue'
import { createStore } from './store'
import type {
  HeadersOption,
  LiveSnapshot,
  LiveSource,
  LiveTimers,
  QueryOption,
  SendOptions,
  SourceOptions,
  TabRole,
} from './types'

/** What a source needs from its client. */
export interface SourceConfig<T, M> {
  key: string
  /** The channel URL on the server in use (or the plain endpoint's URL). */
  url(): string
  /** Whether `url` is a channel of @livedata/server. */
  channel: boolean
  options: SourceOptions<T, M>
  connection: Omit<ConnectionConfig, 'context'> & {
    headers: HeadersOption | undefined
    query: QueryOption | undefined
    credentials: RequestCredentials | undefined
    fetch: typeof fetch
    WebSocket: unknown
    maxMessageSize: number
    /** The client's base URL in use (see `failover.ts`). */
    baseUrl(): string
    /** The client's links of the current generation (see `client.reconnect()`). */
    links(): LinkPool
    sendTimeout: number
    maxQueuedSends: number
  }
  disconnectDelay: number
  timers: LiveTimers
  /** Whether the client is closed; a closed client's sources never connect. */
  isClosed(): boolean
  /** The client's persisted sends (`persistSends`), if any: a channel's sends are kept there. */
  persisted?: PersistedSends
  /** This tab's part in a shared connection, at creation (`setTab` changes it). */
  tab: TabRole
}

/** What a tap hears: the connection's raw events, before the pipeline (the `crossTab` relay). */
export type SourceTap = Pick<
  ConnectionListener,
  'onMessage' | 'onCursor' | 'onGap' | 'onError' | 'onState'
>

/** A source as the client holds it: the public API plus what only the client calls. */
export interface InternalSource<T> extends LiveSource<T> {
  /** The options it was created with. */
  readonly options: SourceOptions<T, unknown>
  close(): void
  /** Connects again now if anyone subscribes (see `client.reconnect()`). */
  reconnect(): void
  /**
   * Sends with the idempotency key it already has (a tab's send the `crossTab` relay carries),
   * never persisted again.
   */
  sendWithKey(data: unknown, event: string | undefined, idempotencyKey: string): Promise<unknown>
  /** Says this tab's part in a shared connection from now on. */
  setTab(tab: TabRole): void
  /** Hears the connection's raw events too; returns the function that stops it. */
  tap(listener: SourceTap): () => void
  /**
   * Resumes from `lastEventId` at the next connect, and connects again now if it is earlier
   * than where the source stands (the relay, asked for an older cursor by a tab).
   */
  seek(lastEventId: string): void
}

/** Tells an inspector of the send `id` (queued now), then of its outcome; returns its promise. */
const reportedSend = (
  config: SourceConfig<unknown, unknown>,
  id: string,
  send: () => Promise<unknown>,
): Promise<unknown> => {
  const { key, connection } = config
  reportSend(connection.inspect, key, id, 'queued')
  const sent = send()
  // Reported beside the app's own handlers, which see the same outcome.
  sent.then(
    () => reportSend(connection.inspect, key, id, 'acked'),
    (error: LiveDataError) => reportSend(connection.inspect, key, id, 'failed', error),
  )
  return sent
}

/** Tells an inspector where a source resumes from now. */
const reportCursor = (config: SourceConfig<unknown, unknown>, lastEventId: string | null): void =>
  config.connection.inspect?.emit?.({ type: 'cursor', channel: config.key, lastEventId })

/**
 * Creates the live value of one channel: a store (snapshot, listeners, linger) fed by a
 * connection through the message pipeline, and a send queue that waits for that connection.
 */
export function createSource<T, M = T>(config: SourceConfig<T, M>): InternalSource<T> {
  const { key, options, timers, url, channel, isClosed } = config
  const {
    headers,
    query,
    credentials,
    fetch,
    WebSocket,
    maxMessageSize,
    baseUrl,
    links,
    sendTimeout,
    maxQueuedSends,
    ...connectionConfig
  } = config.connection
  const initial: LiveSnapshot<T> = {
    status: 'connecting',
    data: options.initialData as T,
    error: null,
    transport: null,
    lastEventId: null,
    attempt: 0,
    gap: false,
    tab: config.tab,
  }
  const store = createStore(
    initial,
    timers,
    config.disconnectDelay,
    // A source of a closed client never connects: it says so, rather than connecting forever.
    () =>
      isClosed()
        ? store.update({ status: 'closed', error: closedError() })
        : (loader ?? connection).start(),
    () => {
      loader?.stop()
      connection.stop()
    },
  )

  /** Sends at once: over the open transport when it can carry sends, else by HTTP POST. */
  const deliver = async (
    data: unknown,
    text: string,
    event: string | undefined,
    idempotencyKey: string | undefined,
  ) => {
    const overSocket = connection.sender()
    if (!overSocket && !channel) {
      throw new LiveDataError(
        'ERR_SEND_FAILED',
        `Send on "${key}" failed: not connected, and a plain endpoint takes no POST`,
        { retryable: false },
      )
    }
    if (__DEV__ && idempotencyKey) {
      reportSend(config.connection.inspect, key, idempotencyKey, 'sent')
    }
    if (overSocket) return overSocket(data, event, idempotencyKey)
    return httpSend({
      async request() {
        const [resolvedHeaders, resolvedQuery] = await Promise.all([
          resolveHeaders(headers),
          resolveQuery(query),
        ])
        return { url: withQuery(url(), resolvedQuery), headers: resolvedHeaders }
      },
      key,
      text,
      event,
      idempotencyKey,
      credentials,
      fetch,
      timers,
      timeout: sendTimeout,
    })
  }

  const sends = createSendQueue(
    timers,
    sendTimeout,
    maxQueuedSends,
    () => store.subscribed() && store.state.status !== 'open' && store.state.status !== 'closed',
    isClosed,
    deliver,
  )

  const pipeline = createMessagePipeline(key, channel, options, store)
  const taps = new Set<SourceTap>()
  // Tells the inspector of a move of the cursor, not of every message (development build).
  let cursorMoved: (() => void) | undefined
  if (__DEV__) {
    let cursor: string | null = null
    cursorMoved = () => {
      if (store.state.lastEventId === cursor) return
      cursor = store.state.lastEventId
      reportCursor(config, cursor)
    }
  }
  const connection = createConnection(
    {
      ...connectionConfig,
      ...(__DEV__ && { key }),
      context: async () => {
        const [resolvedHeaders, resolvedQuery] = await Promise.all([
          resolveHeaders(headers),
          resolveQuery(query),
        ])
        return {
          // The client's query goes to its server only, never to a plain endpoint.
          url: channel ? withQuery(url(), resolvedQuery) : url(),
          baseUrl: withQuery(baseUrl(), resolvedQuery),
          key,
          event: options.event,
          channel,
          lastEventId: store.state.lastEventId,
          headers: resolvedHeaders,
          query: resolvedQuery,
          credentials,
          replay: channel ? options.replay : undefined,
          fetch,
          WebSocket,
          maxMessageSize,
          sendTimeout,
          timers,
          environment: connectionConfig.environment,
          links: links(),
        }
      },
    },
    {
      onMessage(message) {
        for (const tap of taps) tap.onMessage(message)
        pipeline.onMessage(message)
        if (__DEV__) cursorMoved?.()
      },
      onCursor(id) {
        for (const tap of taps) tap.onCursor(id)
        pipeline.onCursor(id)
        if (__DEV__) cursorMoved?.()
      },
      onGap(replay) {
        for (const tap of taps) tap.onGap(replay)
        __DEV__ &&
          config.connection.inspect?.emit?.({ type: 'gap', channel: key, replay: replay !== false })
        // With `load`, the data is rebuilt by loading the state again, not from what history holds.
        if (loader && replay !== false && options.gap !== 'keep') loader.reload()
        else pipeline.onGap(replay)
      },
      onState(next) {
        for (const tap of taps) tap.onState(next)
        // `loader` is declared below: onState is only ever called after construction.
        if (store.state.status === 'open' && next.status !== undefined && next.status !== 'open') {
          loader?.dropped()
        }
        store.update(next)
        // Open, or closed (by a final refusal, say): what waited goes out now (see `waiting`).
        void sends.flush()
      },
      onError(error) {
        for (const tap of taps) tap.onError(error)
        store.update({ error })
      },
    },
  )

  // The current state, then the stream: `load` runs before the connection's first connect.
  const loader = options.load
    ? createLoadStep(
        key,
        options as SourceOptions<T, unknown>,
        store,
        timers,
        connectionConfig.policy,
        connectionConfig.random,
        connection,
      )
    : null

  /** Sends with `idempotencyKey`, kept in IndexedDB first when `persist` and `persistSends`. */
  const sendWith = (
    data: unknown,
    event: string | undefined,
    idempotencyKey: string,
    persist: boolean,
  ): Promise<unknown> => {
    if (isClosed()) return Promise.reject(closedError())
    // A payload JSON cannot carry fails here, alone: it never reaches the server or the queue.
    let text: string
    try {
      text = payloadText(data, key)
    } catch (error) {
      return Promise.reject(error)
    }
    const go = () => sends.send(data, text, event, idempotencyKey)
    const { persisted } = config
    const send = () =>
      persist && persisted && channel
        ? persisted.keep({ key: idempotencyKey, channel: key, url: url(), event, text }, go)
        : go()
    return __DEV__ ? reportedSend(config, idempotencyKey, send) : send()
  }

  return {
    key,
    subscribe: store.subscribe,
    getSnapshot: store.getSnapshot,
    getServerSnapshot: () => store.initial,
    // Every send has its key: tried again after a lost answer, it is delivered once.
    send: (data: unknown, sendOptions: SendOptions = {}) =>
      sendWith(data, sendOptions.event, newIdempotencyKey(), true),
    sendWithKey: (data, event, idempotencyKey) => sendWith(data, event, idempotencyKey, false),
    options: options as SourceOptions<T, unknown>,
    close: store.release,
    setTab: (tab) => store.update({ tab }),
    tap(listener) {
      taps.add(listener)
      return () => void taps.delete(listener)
    },
    seek(lastEventId) {
      const { lastEventId: at } = store.state
      // Earlier than where it stands, or it stands nowhere yet (its connection may already be
      // on its way from "now"): connect again from the id asked for.
      const earlier = at === null || (compareIds(lastEventId, at) ?? 0) < 0
      if (!earlier) return
      store.update({ lastEventId })
      if (store.subscribed()) connection.restart()
    },
    reconnect() {
      if (isClosed()) return
      // Lingering after its last unsubscribe (a no-op for one never subscribed): it lets go now,
      // so that a subscriber coming back connects afresh, with the new credentials.
      if (!store.subscribed()) return store.release()
      // Still to load (or loading): load again now, with the new credentials.
      if (loader?.due()) {
        loader.stop()
        loader.start()
      } else connection.restart()
    },
  }
}
