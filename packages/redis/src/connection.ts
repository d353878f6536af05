import { ErrorReply } from '@redis/client'

/**
 * What the backplane needs of a node-redis client it opened (or duplicated) itself: what
 * `createClient()` and `client.duplicate()` of `@redis/client` return.
 *
 * @example
 * ```ts
 * const own: OwnedRedisClient = createClient({ url, disableOfflineQueue: true })
 * ```
 */
export interface OwnedRedisClient {
  readonly isOpen: boolean
  readonly isReady: boolean
  connect(): Promise<unknown>
  sendCommand(args: string[]): Promise<unknown>
  close(): Promise<unknown>
  destroy(): unknown
  on(event: 'error' | 'ready', listener: (error?: unknown) => void): unknown
  off(event: 'error' | 'ready', listener: (error?: unknown) => void): unknown
}

/**
 * A client the backplane sends commands on: its own, connected on first use, or the app's.
 *
 * @example
 * ```ts
 * await connection.send(['XRANGE', 'livedata:ch:prices', id, id])
 * ```
 */
export interface RedisConnection {
  /** Sends one command; rejects at once while Redis is unreachable (no offline queue). */
  send(args: string[]): Promise<unknown>
  /** Closes the client if it is the backplane's own (gracefully, or at once with `now`). */
  close(now?: boolean): Promise<void>
}

/**
 * Whether `error` says that Redis could not be reached (a socket or offline error), rather than
 * that Redis answered with an error (`ErrorReply`: a wrong type, a bad argument).
 *
 * @example
 * ```ts
 * isUnreachable(new ErrorReply('WRONGTYPE …')) // false
 * ```
 */
export const isUnreachable = (error: unknown): boolean => !(error instanceof ErrorReply)

/**
 * Wraps a node-redis client: an `owned` one is connected on first use (and again after a failed
 * first connection) and closed by `close()`; one the app gave is used as it is and never closed.
 * Errors the client emits never crash the process: they reach `onError`.
 *
 * @example
 * ```ts
 * const connection = redisConnection(createClient({ url, disableOfflineQueue: true }), true, noop)
 * await connection.send(['PING'])
 * ```
 */
export function redisConnection(
  client: OwnedRedisClient | { sendCommand(args: string[]): Promise<unknown> },
  owned: boolean,
  onError: (error: unknown) => void,
): RedisConnection {
  const own = owned ? (client as OwnedRedisClient) : null
  own?.on('error', onError)
  let connecting: Promise<unknown> | null = null
  let closed = false
  return {
    async send(args) {
      if (own !== null) {
        if (closed) throw new Error('The connection is closed')
        if (!own.isOpen) {
          connecting ??= own.connect().finally(() => {
            connecting = null
          })
        }
        if (connecting !== null) await connecting
      }
      return client.sendCommand(args)
    },
    async close(now = false) {
      if (own === null || closed) return
      closed = true
      await connecting?.catch(() => {})
      if (!own.isOpen) return
      if (now) own.destroy()
      else await own.close().catch(() => own.destroy())
    },
  }
}
