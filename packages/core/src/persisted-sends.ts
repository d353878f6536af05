import { resolveHeaders, resolveQuery, withQuery } from './credentials'
import { LiveDataError } from './errors'
import { httpSend } from './http-send'
import { newIdempotencyKey } from './idempotency-key'
import { type InspectHook, reportSend } from './inspector'
import { openSendStore, type SendRecord, type SendStore } from './send-store'
import type { HeadersOption, LiveEnvironment, LiveTimers, QueryOption } from './types'

/** What a client's persisted sends need: where its server is, and how to reach it. */
export interface PersistedSendsConfig {
  /** The client's base URL: the queue's name (and its Web Lock's). */
  scope: string
  headers: HeadersOption | undefined
  query: QueryOption | undefined
  credentials: RequestCredentials | undefined
  fetch: typeof fetch
  timers: LiveTimers
  environment: LiveEnvironment
  sendTimeout: number
  /** Where a previous page's sends, flushed from here, are reported (development build). */
  inspect?: InspectHook
}

/** A send about to go out, as the source describes it. */
export type PendingSend = Pick<SendRecord, 'key' | 'channel' | 'url' | 'event' | 'text'>

/** A client's sends, kept in IndexedDB until acknowledged (`createLiveClient({ persistSends })`). */
export interface PersistedSends {
  /**
   * Writes `pending` to IndexedDB, then runs `send`, and forgets it once `send` settled (except
   * with `ERR_CLOSED`: the client was closed, and the next page sends it). Rejects with
   * `ERR_SEND_QUEUE_FULL` past the bounds, without sending. Without IndexedDB or Web Locks it
   * runs `send` alone.
   */
  keep<A>(pending: PendingSend, send: () => Promise<A>): Promise<A>
  /** Stops flushing and lets this page's lock go. */
  close(): void
}

/** Delay before flushing again after a flush that could not reach the server, at first, in ms. */
const RETRY_MIN = 1000
/** …and at most, in ms. */
const RETRY_MAX = 30_000

interface Locks {
  request(name: string, options: object, callback: (lock: unknown) => Promise<void>): Promise<void>
  query(): Promise<{ held?: Array<{ name?: string }> }>
}

/**
 * Creates a client's persisted sends. Every send is written to IndexedDB (database `livedata`,
 * store `sends`) before it goes out and removed once settled. The sends a previous page left
 * (a reload, a crash, a tab closed while offline) are flushed in their order by HTTP POST to
 * their channel, each with its idempotency key (so the server delivers each once), as soon as
 * this client starts and whenever the browser comes back online: POST needs no subscription,
 * and the channel may have none after a reload. A page holds the Web Lock `livedata-page:<id>`
 * while it lives, so no tab takes another live tab's sends, and flushes under
 * `livedata-sends:<url>`, so no two tabs flush one queue at once. Where IndexedDB or Web Locks
 * are missing (Node, old browsers), sends stay in memory, without an error.
 *
 * @example
 * ```ts
 * const persisted = createPersistedSends({ scope: url, headers, query, credentials, fetch, timers, environment, sendTimeout })
 * await persisted.keep({ key, channel: 'chat', url: chatUrl, event, text }, () => queue.send(...))
 * ```
 */
export function createPersistedSends(config: PersistedSendsConfig): PersistedSends {
  const { scope, timers, environment } = config
  const g = globalThis as { indexedDB?: IDBFactory; navigator?: { locks?: Locks } }
  const locks = g.navigator?.locks
  const page = newIdempotencyKey()
  let closed = false
  let letGo = (): void => {}
  let retry: unknown = null
  let delay = RETRY_MIN
  let stopWatching = (): void => {}

  const opening: Promise<SendStore | null> = (async () => {
    if (!locks || typeof locks.request !== 'function' || typeof locks.query !== 'function') {
      return null
    }
    const store = await openSendStore(g.indexedDB)
    if (!store) return null
    // Held while this page lives: its sends are its own until then.
    await new Promise<void>((granted) => {
      locks
        .request(`livedata-page:${page}`, {}, () => {
          granted()
          return new Promise<void>((release) => {
            letGo = release
          })
        })
        .catch(() => granted())
    })
    return store
  })().catch(() => null)

  /** POSTs one record with its key; resolves whether it is settled (sent, or refused for good). */
  const post = async (record: SendRecord): Promise<boolean> => {
    // Under its channel and key, as the page that made it reported it `queued`.
    if (__DEV__) reportSend(config.inspect, record.channel, record.key, 'sent')
    try {
      await httpSend({
        async request() {
          const [headers, query] = await Promise.all([
            resolveHeaders(config.headers),
            resolveQuery(config.query),
          ])
          return { url: withQuery(record.url, query), headers }
        },
        key: record.channel,
        text: record.text,
        event: record.event,
        idempotencyKey: record.key,
        credentials: config.credentials,
        fetch: config.fetch,
        timers,
        timeout: config.sendTimeout,
      })
      if (__DEV__) reportSend(config.inspect, record.channel, record.key, 'acked')
      return true
    } catch (error) {
      // A refusal no retry can change (a 4xx) is dropped; the rest waits for the next flush.
      const dropped = error instanceof LiveDataError && !error.retryable
      if (__DEV__ && dropped)
        reportSend(config.inspect, record.channel, record.key, 'failed', error)
      return dropped
    }
  }

  /** Sends what pages no longer alive left, in order, one tab at a time. */
  const flush = async (store: SendStore): Promise<void> => {
    if (closed || retry !== null) return
    let reached = true
    await locks!
      .request(`livedata-sends:${scope}`, { ifAvailable: true }, async (lock) => {
        // Another tab flushes now: what is left, it sends.
        if (lock === null) return
        const { held = [] } = await locks!.query()
        const alive = new Set(held.map((lock) => lock.name))
        const others = (await store.list(scope)).filter((record) => record.page !== page)
        const left = others.filter((record) => !alive.has(`livedata-page:${record.page}`))
        // A page still alive (or still unloading) holds some: look again later.
        if (left.length < others.length) reached = false
        for (const record of left) {
          if (closed) return
          if (!(await post(record))) {
            reached = false
            return
          }
          await store.remove(record.seq as number)
        }
      })
      .catch(() => {
        reached = false
      })
    if (reached || closed) {
      delay = RETRY_MIN
      return
    }
    retry = timers.setTimeout(() => {
      retry = null
      void flush(store)
    }, delay)
    delay = Math.min(delay * 2, RETRY_MAX)
  }

  void opening.then((store) => {
    if (!store || closed) return
    void flush(store)
    stopWatching = environment.subscribe(() => {
      if (!environment.isOnline()) return
      // Back online: at once, not at the end of a backoff.
      if (retry !== null) timers.clearTimeout(retry)
      retry = null
      delay = RETRY_MIN
      void flush(store)
    })
  })

  return {
    async keep(pending, send) {
      const store = await opening
      if (!store || closed) return send()
      const bytes = new TextEncoder().encode(pending.text).length
      let seq: number
      try {
        seq = await store.add({ ...pending, scope, bytes, page })
      } catch (error) {
        if (error instanceof LiveDataError) throw error
        // IndexedDB refused the write (a private mode, its quota): the send goes from memory.
        return send()
      }
      const forget = () => store.remove(seq).catch(() => {})
      try {
        const acknowledgement = await send()
        void forget()
        return acknowledgement
      } catch (error) {
        if (!(error instanceof LiveDataError && error.code === 'ERR_CLOSED')) void forget()
        throw error
      }
    },
    close() {
      closed = true
      if (retry !== null) timers.clearTimeout(retry)
      stopWatching()
      letGo()
    },
  }
}
