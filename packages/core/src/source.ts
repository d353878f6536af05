import { type ConnectionConfig, createConnection } from './connection'
import { LiveDataError, type LiveDataErrorCode, toLiveDataError } from './errors'
import type {
  HeadersOption,
  LiveSchema,
  LiveSnapshot,
  LiveSource,
  LiveTimers,
  SendOptions,
  SourceOptions,
} from './types'

const SERVER_ID = /^(\d+)-(\d+)$/

/**
 * Orders two ids of @livedata/server (`<ms>-<seq>`, as in Redis Streams). Returns `null` for ids
 * of any other form: a plain endpoint's ids are opaque and never compared.
 *
 * @example
 * ```ts
 * compareIds('1700000000000-2', '1700000000000-10') // < 0
 * compareIds('abc', '1-1') // null
 * ```
 */
export function compareIds(a: string, b: string): number | null {
  const x = SERVER_ID.exec(a)
  const y = SERVER_ID.exec(b)
  return x && y ? Number(x[1]) - Number(y[1]) || Number(x[2]) - Number(y[2]) : null
}

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
    fetch: typeof fetch
    WebSocket: unknown
    maxMessageSize: number
  }
  disconnectDelay: number
  timers: LiveTimers
  /** Whether the client is closed; a closed client's sources never connect. */
  isClosed(): boolean
}

/** A source as the client holds it: the public API plus `close`. */
export interface InternalSource<T> extends LiveSource<T> {
  close(): void
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

const resolveHeaders = async (headers: HeadersOption | undefined) =>
  typeof headers === 'function' ? headers() : { ...headers }

/**
 * Creates the live value of one channel: listeners, the immutable snapshot, parse → schema →
 * reduce with de-duplication by id, and sends.
 */
export function createSource<T, M = T>(config: SourceConfig<T, M>): InternalSource<T> {
  const { key, options, timers, url, channel } = config
  const reduce = options.reduce ?? ((_previous: T | undefined, data: M) => data as unknown as T)
  const parse = options.parse ?? (channel ? JSON.parse : (text: string) => text)
  // Channels of our server deliver every event; a plain endpoint only its unnamed ones.
  const wanted = options.event ?? (channel ? undefined : 'message')
  const listeners = new Set<() => void>()
  const serverSnapshot: LiveSnapshot<T> = Object.freeze({
    status: 'connecting',
    data: options.initialData,
    error: null,
    transport: null,
    lastEventId: null,
    attempt: 0,
    gap: false,
  })
  let snapshot = serverSnapshot
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
      if (patch[name] !== snapshot[name]) changed = true
    }
    if (!changed) return
    snapshot = Object.freeze({ ...snapshot, ...patch })
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

  const { headers, fetch, WebSocket, maxMessageSize, ...connectionConfig } = config.connection
  const connection = createConnection(
    {
      ...connectionConfig,
      context: async () => ({
        url,
        channel,
        lastEventId: snapshot.lastEventId,
        headers: await resolveHeaders(headers),
        fetch,
        WebSocket,
        maxMessageSize,
      }),
    },
    {
      onState: update,
      onGap: () => update({ gap: true }),
      onError: (error) => update({ error }),
      onMessage(message) {
        const last = snapshot.lastEventId
        const id = message.id ?? last
        // Already delivered: a replay that overlaps what this source has seen.
        if (message.id !== null && last !== null && (compareIds(message.id, last) ?? 1) <= 0) return
        if (wanted !== undefined && message.event !== wanted) return update({ lastEventId: id })
        let payload: M
        try {
          const parsed = parse(message.data)
          payload = options.schema ? validate(options.schema, parsed) : (parsed as M)
        } catch (cause) {
          const code =
            options.schema && !(cause instanceof SyntaxError) ? 'ERR_SCHEMA' : 'ERR_PARSE'
          return fail(code, cause, id)
        }
        try {
          const data = reduce(snapshot.data, payload, { id: message.id, event: message.event })
          update({ data, lastEventId: id, error: null })
        } catch (cause) {
          fail('ERR_REDUCE', cause, id)
        }
      },
    },
  )

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
    getSnapshot: () => snapshot,
    getServerSnapshot: () => serverSnapshot,
    async send(data: unknown, sendOptions: SendOptions = {}) {
      const failed = (message: string, extra?: { cause?: unknown; status?: number }) =>
        new LiveDataError('ERR_SEND_FAILED', `Send on "${key}" failed: ${message}`, extra)
      if (config.isClosed()) throw new LiveDataError('ERR_CLOSED', 'The client is closed')
      if (!channel) throw failed('a plain endpoint cannot receive')
      let response: Response
      try {
        const body = JSON.stringify({ data, event: sendOptions.event })
        response = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...(await resolveHeaders(headers)) },
          body,
        })
      } catch (cause) {
        throw failed(cause instanceof Error ? cause.message : String(cause), { cause })
      }
      if (!response.ok) {
        const body = await response.text().catch(() => '')
        throw failed(`${response.status} ${body}`, { status: response.status })
      }
    },
    close() {
      timers.clearTimeout(stopTimer)
      connection.stop()
    },
  }
}
