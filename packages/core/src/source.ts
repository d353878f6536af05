import { type ConnectionConfig, createConnection } from './connection'
import { resolveHeaders, resolveQuery, withQuery } from './credentials'
import { LiveDataError, type LiveDataErrorCode, toLiveDataError } from './errors'
import { httpSend } from './http-send'
import { payloadText } from './send-payload'
import type {
  HeadersOption,
  LiveSchema,
  LiveSnapshot,
  LiveSource,
  LiveTimers,
  QueryOption,
  SendOptions,
  SourceOptions,
} from './types'

/** The two numbers of an id of @livedata/server (`<ms>-<seq>`), or `null` for another form. */
function splitId(id: string): [number, number] | null {
  const dash = id.indexOf('-')
  // Unary plus, not a RegExp: this runs for every message.
  const ms = dash > 0 ? +id.slice(0, dash) : Number.NaN
  const seq = dash < id.length - 1 ? +id.slice(dash + 1) : Number.NaN
  return Number.isSafeInteger(ms) && Number.isSafeInteger(seq) && ms >= 0 && seq >= 0
    ? [ms, seq]
    : null
}

/**
 * Orders two ids of @livedata/server (`<ms>-<seq>`, as in Redis Streams). Returns `null` for ids
 * of any other form.
 *
 * @example
 * ```ts
 * compareIds('1700000000000-2', '1700000000000-10') // < 0
 * compareIds('abc', '1-1') // null
 * ```
 */
export function compareIds(a: string, b: string): number | null {
  const x = splitId(a)
  const y = splitId(b)
  return x && y ? order(x, y) : null
}

const order = (x: [number, number], y: [number, number]): number => x[0] - y[0] || x[1] - y[1]

/** What a source needs from its client. */
export interface SourceConfig<T, M> {
  key: string
  /** The channel URL (or the plain endpoint's URL). */
  url: string
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
    baseUrl: string
    /** The client's shared transport state of the current generation (see `client.reconnect()`). */
    shared(): Map<string, unknown>
    sendTimeout: number
    maxQueuedSends: number
  }
  disconnectDelay: number
  timers: LiveTimers
  /** Whether the client is closed; a closed client's sources never connect. */
  isClosed(): boolean
}

/** A source as the client holds it: the public API plus what only the client calls. */
export interface InternalSource<T> extends LiveSource<T> {
  /** The options it was created with. */
  readonly options: SourceOptions<T, unknown>
  close(): void
  /** Connects again now if anyone subscribes (see `client.reconnect()`). */
  reconnect(): void
}

function validate<M>(schema: LiveSchema<M>, value: unknown): M {
  if (typeof schema === 'function') return schema(value)
  const result = schema['~standard'].validate(value) as {
    value?: M
    issues?: ReadonlyArray<{ message: string }>
  }
  if (result instanceof Promise) throw new Error('async schemas are not supported')
  if (result.issues) throw new Error(result.issues.map((issue) => issue.message).join('; '))
  return result.value as M
}

/**
 * Creates the live value of one channel: listeners, the immutable snapshot, parse → schema →
 * reduce with de-duplication by id, and sends.
 */
export function createSource<T, M = T>(config: SourceConfig<T, M>): InternalSource<T> {
  const { key, options, timers, url, channel } = config
  const reduce = options.reduce ?? ((_previous: T, data: M) => data as unknown as T)
  const initialData = options.initialData as T
  const parse = options.parse ?? (channel ? JSON.parse : (text: string) => text)
  // Channels of our server deliver every event; a plain endpoint only its unnamed ones.
  const wanted = options.event ?? (channel ? undefined : 'message')
  const listeners = new Set<() => void>()
  const serverSnapshot: LiveSnapshot<T> = Object.freeze({
    status: 'connecting',
    data: initialData,
    error: null,
    transport: null,
    lastEventId: null,
    attempt: 0,
    gap: false,
  })
  // The latest values, updated in place per message; `snapshot` is their frozen copy, made
  // only when someone reads it after a change: a burst of 1,000 messages makes one object.
  const state: { -readonly [K in keyof LiveSnapshot<T>]: LiveSnapshot<T>[K] } = {
    ...serverSnapshot,
  }
  let snapshot = serverSnapshot
  let stale = false
  const getSnapshot = (): LiveSnapshot<T> => {
    if (stale) {
      snapshot = Object.freeze({ ...state })
      stale = false
    }
    return snapshot
  }
  let notifyScheduled = false
  let stopTimer: unknown = null

  const notify = (): void => {
    notifyScheduled = false
    for (const listener of [...listeners]) {
      try {
        listener()
      } catch (error) {
        // One failing subscriber must not starve the others, nor stop the stream.
        const report = (globalThis as { reportError?: (error: unknown) => void }).reportError
        report ? report(error) : console.error(error)
      }
    }
  }

  const update = (patch: Partial<LiveSnapshot<T>>): void => {
    let changed = false
    for (const field in patch) {
      const name = field as keyof LiveSnapshot<T>
      if (patch[name] !== state[name]) changed = true
    }
    if (!changed) return
    Object.assign(state, patch)
    stale = true
    // A burst of messages within one tick becomes one notification, hence one render.
    if (!notifyScheduled) {
      notifyScheduled = true
      queueMicrotask(notify)
    }
  }

  const fail = (code: LiveDataErrorCode, cause: unknown, lastEventId: string | null): void => {
    // The id still counts as seen: a resume must not fetch the same bad message again.
    update({ error: toLiveDataError(cause, code, `"${key}"`), lastEventId })
  }

  // The last id, split once: a stream of messages compares each new id with the previous one.
  let seenId: string | null = null
  let seenSplit: [number, number] | null = null
  const isSeen = (id: string, last: string): boolean => {
    if (last !== seenId) {
      seenId = last
      seenSplit = splitId(last)
    }
    const next = splitId(id)
    if (!next || !seenSplit) return false
    return order(next, seenSplit) <= 0
  }

  const {
    headers,
    query,
    credentials,
    fetch,
    WebSocket,
    maxMessageSize,
    baseUrl,
    shared,
    sendTimeout,
    maxQueuedSends,
    ...connectionConfig
  } = config.connection
  const queue: Array<{
    data: unknown
    text: string
    event?: string
    /** Stops the item's deadline: it is on its way, and its own answer decides. */
    start(): void
    done(error: unknown, acknowledgement?: unknown): void
  }> = []
  let flushing = false

  const connection = createConnection(
    {
      ...connectionConfig,
      context: async () => {
        const [resolvedHeaders, resolvedQuery] = await Promise.all([
          resolveHeaders(headers),
          resolveQuery(query),
        ])
        return {
          // The client's query goes to its server only, never to a plain endpoint.
          url: channel ? withQuery(url, resolvedQuery) : url,
          baseUrl: withQuery(baseUrl, resolvedQuery),
          key,
          event: options.event,
          channel,
          lastEventId: state.lastEventId,
          headers: resolvedHeaders,
          query: resolvedQuery,
          credentials,
          replay: channel ? options.replay : undefined,
          fetch,
          WebSocket,
          maxMessageSize,
          interval: options.interval ?? 2000,
          pollWhenHidden: options.pollWhenHidden ?? false,
          sendTimeout,
          timers,
          environment: connectionConfig.environment,
          shared: shared(),
        }
      },
    },
    {
      onState(state) {
        update(state)
        // Open, or closed (by a final refusal, say): what waited goes out now (see `waiting`).
        if (!waiting()) void flush()
      },
      // History no longer reaches back: the server replays all it holds next. With `gap: 'reset'`
      // the data is rebuilt from initialData over it rather than folded onto a state with a hole
      // in it; with 'keep' the replay is folded onto the data as it is (a chat keeps its lines).
      // The old id is no reference any more either: what follows is taken as it comes.
      onGap(replay = true) {
        if (!replay) return update({ gap: true })
        const keep = options.gap === 'keep'
        update({ gap: true, data: keep ? state.data : initialData, lastEventId: null })
      },
      onError: (error) => update({ error }),
      // Only a source that has nothing yet takes a cursor: past that, its own last id is the truth.
      onCursor(id) {
        if (state.lastEventId === null) update({ lastEventId: id })
      },
      onMessage(message) {
        const last = state.lastEventId
        const id = message.id ?? last
        // Already delivered: a replay that overlaps what this source has seen. Only our server's
        // ids are ordered; a plain endpoint's are opaque and never compared.
        if (channel && message.id !== null && last !== null && isSeen(message.id, last)) return
        if (wanted !== undefined && message.event !== wanted) return update({ lastEventId: id })
        let payload: M
        try {
          const parsed = message.text === undefined ? message.value : parse(message.text)
          payload = options.schema ? validate(options.schema, parsed) : (parsed as M)
        } catch (cause) {
          const code =
            options.schema && !(cause instanceof SyntaxError) ? 'ERR_SCHEMA' : 'ERR_PARSE'
          return fail(code, cause, id)
        }
        try {
          const data = reduce(state.data, payload, { id: message.id, event: message.event })
          update({ data, lastEventId: id, error: null })
        } catch (cause) {
          fail('ERR_REDUCE', cause, id)
        }
      },
    },
  )

  /** Sends at once: over the open transport when it can carry sends, else by HTTP POST. */
  const deliver = async (data: unknown, text: string, event: string | undefined) => {
    const overSocket = connection.sender()
    if (overSocket) return overSocket(data, event)
    if (!channel) {
      throw new LiveDataError(
        'ERR_SEND_FAILED',
        `Send on "${key}" failed: not connected, and a plain endpoint takes no POST`,
      )
    }
    return httpSend({
      async request() {
        const [resolvedHeaders, resolvedQuery] = await Promise.all([
          resolveHeaders(headers),
          resolveQuery(query),
        ])
        return { url: withQuery(url, resolvedQuery), headers: resolvedHeaders }
      },
      key,
      text,
      event,
      credentials,
      fetch,
      timers,
      timeout: sendTimeout,
    })
  }

  /**
   * Whether sends must wait: someone subscribes and the connection is on its way. Open, they go
   * over it; closed (a final refusal, given up) or idle (nobody subscribes), nothing is coming
   * to wait for, and they go by POST (the server authorizes sends on their own).
   */
  const waiting = (): boolean =>
    listeners.size > 0 && state.status !== 'open' && state.status !== 'closed'

  /** Sends what waited, one after the other so that order holds, while nothing is to wait for. */
  const flush = async (): Promise<void> => {
    if (flushing) return
    flushing = true
    while (queue.length > 0 && !waiting()) {
      const item = queue.shift()!
      item.start()
      if (config.isClosed()) {
        item.done(new LiveDataError('ERR_CLOSED', 'The client is closed'))
        continue
      }
      try {
        item.done(undefined, await deliver(item.data, item.text, item.event))
      } catch (error) {
        item.done(error ?? new LiveDataError('ERR_SEND_FAILED', 'Send failed'))
      }
    }
    flushing = false
  }

  const close = (): void => {
    timers.clearTimeout(stopTimer)
    connection.stop()
  }

  return {
    key,
    subscribe(listener) {
      listeners.add(listener)
      timers.clearTimeout(stopTimer)
      stopTimer = null
      if (!config.isClosed()) connection.start()
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return
        timers.clearTimeout(stopTimer)
        // Linger, so that StrictMode's unmount-remount or a route change reuses the connection.
        stopTimer = timers.setTimeout(() => {
          if (listeners.size === 0) connection.stop()
        }, config.disconnectDelay)
      }
    },
    getSnapshot,
    getServerSnapshot: () => serverSnapshot,
    send(data: unknown, sendOptions: SendOptions = {}) {
      if (config.isClosed()) {
        return Promise.reject(new LiveDataError('ERR_CLOSED', 'The client is closed'))
      }
      // A payload JSON cannot carry fails here, alone: it never reaches the server or the queue.
      let text: string
      try {
        text = payloadText(data, key)
      } catch (error) {
        return Promise.reject(error)
      }
      // Waiting for a connection that is on its way, or behind sends that wait: queue, in order,
      // bounded, with a deadline.
      if (waiting() || queue.length > 0 || flushing) {
        if (queue.length >= maxQueuedSends) {
          return Promise.reject(
            new LiveDataError('ERR_SEND_QUEUE_FULL', `${maxQueuedSends} sends already wait`),
          )
        }
        return new Promise<unknown>((resolve, reject) => {
          const timer = timers.setTimeout(() => {
            const at = queue.indexOf(item)
            if (at >= 0) queue.splice(at, 1)
            reject(new LiveDataError('ERR_SEND_TIMEOUT', `Not connected within ${sendTimeout} ms`))
          }, sendTimeout)
          const item = {
            data,
            text,
            event: sendOptions.event,
            start: () => timers.clearTimeout(timer),
            done(error: unknown, acknowledgement?: unknown) {
              timers.clearTimeout(timer)
              error === undefined ? resolve(acknowledgement) : reject(error)
            },
          }
          queue.push(item)
          if (!waiting()) void flush()
        })
      }
      return deliver(data, text, sendOptions.event)
    },
    options: options as SourceOptions<T, unknown>,
    close,
    reconnect() {
      if (config.isClosed()) return
      // Lingering after its last unsubscribe (a no-op for one never subscribed): it lets go now,
      // so that a subscriber coming back connects afresh, with the new credentials.
      listeners.size > 0 ? connection.restart() : close()
    },
  }
}
