import { Connection, type ConnectionConfig, type ConnectionState } from './connection'
import { LiveDataError, toLiveDataError } from './errors'
import type {
  HeadersOption,
  LiveMessage,
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
 */
export function compareIds(a: string, b: string): number | null {
  const x = SERVER_ID.exec(a)
  const y = SERVER_ID.exec(b)
  if (!x || !y) return null
  return Number(x[1]) - Number(y[1]) || Number(x[2]) - Number(y[2])
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

function validate<M>(schema: LiveSchema<M>, value: unknown): M {
  if (typeof schema === 'function') return schema(value)
  const result = schema['~standard'].validate(value)
  if (result instanceof Promise) {
    throw new Error('asynchronous schemas are not supported; validate synchronously')
  }
  if ('issues' in result && result.issues) {
    throw new Error(result.issues.map((issue) => issue.message).join('; '))
  }
  return (result as { value: M }).value
}

const defaultReduce = <T, M>(_previous: T | undefined, data: M): T => data as unknown as T

/** Reports an error thrown by a listener without breaking the others or the stream. */
function reportListenerError(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError
  if (typeof report === 'function') report(error)
  else console.error('[@livedata/core] a subscriber threw:', error)
}

/** The implementation of {@link LiveSource}. */
export class Source<T, M = T> implements LiveSource<T> {
  readonly key: string
  #snapshot: LiveSnapshot<T>
  readonly #serverSnapshot: LiveSnapshot<T>
  readonly #listeners = new Set<() => void>()
  readonly #connection: Connection
  readonly #reduce: (previous: T | undefined, data: M, message: LiveMessage) => T
  readonly #parse: (text: string) => unknown
  #notifyScheduled = false
  #stopTimer: unknown = null

  readonly #config: SourceConfig<T, M>

  constructor(config: SourceConfig<T, M>) {
    this.#config = config
    this.key = config.key
    const { options } = config
    this.#reduce = options.reduce ?? defaultReduce
    this.#parse = options.parse ?? (config.channel ? JSON.parse : (text) => text)
    this.#serverSnapshot = Object.freeze({
      status: 'connecting',
      data: options.initialData,
      error: null,
      transport: null,
      lastEventId: null,
      attempt: 0,
      gap: false,
    })
    this.#snapshot = this.#serverSnapshot
    const { headers, fetch, WebSocket, maxMessageSize, ...rest } = config.connection
    this.#connection = new Connection(
      {
        ...rest,
        context: async () => ({
          url: config.url,
          channel: config.channel,
          lastEventId: this.#snapshot.lastEventId,
          headers: typeof headers === 'function' ? await headers() : { ...headers },
          fetch,
          WebSocket,
          maxMessageSize,
        }),
      },
      {
        onState: (state) => this.#onState(state),
        onMessage: (message) => this.#onMessage(message),
        onGap: () => this.#update({ gap: true }),
        onError: (error) => this.#update({ error }),
      },
    )
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener)
    if (this.#stopTimer !== null) {
      this.#config.timers.clearTimeout(this.#stopTimer)
      this.#stopTimer = null
    }
    if (this.#listeners.size === 1 && !this.#config.isClosed()) this.#connection.start()
    let subscribed = true
    return () => {
      if (!subscribed) return
      subscribed = false
      this.#listeners.delete(listener)
      if (this.#listeners.size > 0 || this.#stopTimer !== null) return
      // Linger, so that StrictMode's unmount-remount or a route change reuses the connection.
      this.#stopTimer = this.#config.timers.setTimeout(() => {
        this.#stopTimer = null
        if (this.#listeners.size === 0) this.#connection.stop()
      }, this.#config.disconnectDelay)
    }
  }

  getSnapshot = (): LiveSnapshot<T> => this.#snapshot

  getServerSnapshot = (): LiveSnapshot<T> => this.#serverSnapshot

  send = async (data: unknown, options: SendOptions = {}): Promise<void> => {
    const config = this.#config
    if (config.isClosed()) {
      throw new LiveDataError('ERR_CLOSED', `Cannot send on "${this.key}": the client is closed`)
    }
    if (!config.channel) {
      throw new LiveDataError(
        'ERR_SEND_FAILED',
        `Cannot send on "${this.key}": a plain ${config.options.transport ?? 'sse'} endpoint has no way back to the server`,
        { retryable: false },
      )
    }
    let body: string
    try {
      body = JSON.stringify(options.event === undefined ? { data } : { data, event: options.event })
    } catch (cause) {
      throw toLiveDataError(cause, 'ERR_SEND_FAILED', `Cannot send on "${this.key}"`)
    }
    const { headers, fetch } = config.connection
    const extra = typeof headers === 'function' ? await headers() : headers
    let response: Response
    try {
      response = await fetch(config.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...extra },
        body,
      })
    } catch (cause) {
      throw toLiveDataError(cause, 'ERR_SEND_FAILED', `POST ${config.url} failed`)
    }
    if (!response.ok) {
      const reason = await response.text().catch(() => '')
      throw new LiveDataError(
        'ERR_SEND_FAILED',
        `POST ${config.url} answered ${response.status}${reason ? `: ${reason}` : ''}`,
        { status: response.status, retryable: response.status >= 500 },
      )
    }
  }

  /** Stops for good: the client is closing. */
  close(): void {
    if (this.#stopTimer !== null) this.#config.timers.clearTimeout(this.#stopTimer)
    this.#stopTimer = null
    this.#connection.stop()
  }

  #onState(state: ConnectionState): void {
    this.#update(state)
  }

  #onMessage(message: { data: string; event: string; id: string | null }): void {
    const { options } = this.#config
    const last = this.#snapshot.lastEventId
    // Already delivered: a replay overlapping what this source has seen.
    if (message.id !== null && last !== null && (compareIds(message.id, last) ?? 1) <= 0) return
    const wanted = options.event ?? (this.#config.channel ? undefined : 'message')
    if (wanted !== undefined && message.event !== wanted) {
      if (message.id !== null) this.#update({ lastEventId: message.id })
      return
    }
    const meta: LiveMessage = { id: message.id, event: message.event }
    const lastEventId = message.id ?? last
    let payload: M
    try {
      const parsed = this.#parse(message.data)
      payload = options.schema ? validate(options.schema, parsed) : (parsed as M)
    } catch (cause) {
      const code = options.schema && !(cause instanceof SyntaxError) ? 'ERR_SCHEMA' : 'ERR_PARSE'
      const what = code === 'ERR_SCHEMA' ? 'failed the schema' : 'could not be parsed'
      const error = toLiveDataError(
        cause,
        code,
        `Message ${message.id ?? ''} on "${this.key}" ${what}`,
      )
      // Its id still counts as seen: a resume must not fetch the same bad message again.
      this.#update({ error, lastEventId })
      return
    }
    let data: T
    try {
      data = this.#reduce(this.#snapshot.data, payload, meta)
    } catch (cause) {
      const error = toLiveDataError(cause, 'ERR_REDUCE', `reduce threw on "${this.key}"`)
      this.#update({ error, lastEventId })
      return
    }
    this.#update({ data, lastEventId, error: null })
  }

  #update(patch: Partial<LiveSnapshot<T>>): void {
    const current = this.#snapshot
    let changed = false
    for (const key in patch) {
      if (patch[key as keyof LiveSnapshot<T>] !== current[key as keyof LiveSnapshot<T>]) {
        changed = true
        break
      }
    }
    if (!changed) return
    this.#snapshot = Object.freeze({ ...current, ...patch })
    if (this.#notifyScheduled) return
    // A burst of messages within one tick becomes one notification, hence one render.
    this.#notifyScheduled = true
    queueMicrotask(() => {
      this.#notifyScheduled = false
      for (const listener of [...this.#listeners]) {
        try {
          listener()
        } catch (error) {
          reportListenerError(error)
        }
      }
    })
  }
}
