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
 * A client of the backplane's own that it sends commands on: see {@link redisConnection}.
 *
 * @example
 * ```ts
 * await connection.send(['XRANGE', 'livedata:ch:prices', id, id])
 * ```
 */
export interface RedisConnection {
  /**
   * Sends one command. Rejects at once while the client is not connected (no offline queue,
   * no waiting for a reconnection) or while an earlier command is overdue, and after `timeout`
   * ms (the connection's command timeout unless given) if Redis has not answered.
   */
  send(args: string[], timeout?: number): Promise<unknown>
  /**
   * Sends `commands` as one `MULTI` … `EXEC` (nothing else on the connection runs between them,
   * and Redis runs them at one instant): resolves `EXEC`'s replies, in which a command Redis
   * refused is its error (an `Error`). Fails as `send` does.
   */
  transaction(commands: string[][]): Promise<unknown[]>
  /** Connected (or never asked to connect), and no command overdue. */
  ready(): boolean
  /** Closes the client: gracefully if it is ready, at once otherwise (or with `now`). Never hangs. */
  close(now?: boolean): Promise<void>
}

/** Options of {@link redisConnection}. */
export interface RedisConnectionOptions {
  /** How long a command may wait for its reply, in ms. */
  timeout: number
  /** Told every error the client emits, and each command that timed out: Redis is unreachable. */
  onError(error: unknown): void
  /** Every overdue command has been answered (or failed): the connection may be ready again. */
  onResponsive?(): void
}

/**
 * Whether `error` says that Redis could not be reached (a socket, offline or timeout error),
 * rather than that Redis answered with an error (`ErrorReply`: a wrong type, a bad argument).
 *
 * @example
 * ```ts
 * isUnreachable(new ErrorReply('WRONGTYPE …')) // false
 * ```
 */
export const isUnreachable = (error: unknown): boolean => !(error instanceof ErrorReply)

/**
 * Wraps a node-redis client of the backplane's own (created with `disableOfflineQueue`): it is
 * connected on first use; a command waits for that first attempt only (never for node-redis's
 * reconnections, which go on in the background), fails at once while the client is not ready,
 * and fails after `timeout` ms without an answer, which also marks the connection overdue (every
 * command fails at once) until Redis answers the late one. Errors the client emits never crash
 * the process: they reach `onError`.
 *
 * @example
 * ```ts
 * const connection = redisConnection(createClient({ url, disableOfflineQueue: true }), {
 *   timeout: 5000,
 *   onError: (error) => health.down(error),
 * })
 * await connection.send(['PING'])
 * ```
 */
export function redisConnection(
  client: OwnedRedisClient,
  options: RedisConnectionOptions,
): RedisConnection {
  let closed = false
  let started = false
  /** The first connection attempt, until it settles; `abandon` rejects it (on close). */
  let first: { attempt: Promise<void>; abandon: (error: Error) => void } | null = null
  /** Commands that timed out and are still unanswered. */
  let overdue = 0

  const onError = (error: unknown): void => {
    if (!closed) options.onError(error)
  }
  client.on('error', onError)

  const connect = (): void => {
    started = true
    let abandon: (error: Error) => void = () => {}
    const attempt = new Promise<void>((resolve, reject) => {
      const settle = (error?: unknown): void => {
        client.off('ready', ready)
        client.off('error', failed)
        first = null
        if (error === undefined) resolve()
        else reject(error)
      }
      const ready = (): void => settle()
      const failed = (error?: unknown): void =>
        settle(error ?? new Error('Redis could not be reached'))
      abandon = settle
      client.on('ready', ready)
      client.on('error', failed)
    })
    attempt.catch(() => {})
    first = { attempt, abandon }
    // node-redis's connect() stays pending while it retries: the events above say how it went.
    client.connect().catch(() => {})
  }

  const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let late = false
      const timer = setTimeout(() => {
        late = true
        overdue++
        const error = new Error(`Redis did not answer ${what} within ${ms} ms`)
        onError(error)
        reject(error)
      }, ms)
      promise.then(
        (value) => {
          clearTimeout(timer)
          if (!late) resolve(value)
        },
        (error: unknown) => {
          clearTimeout(timer)
          if (!late) reject(error)
        },
      )
      promise
        .catch(() => {})
        .finally(() => {
          if (!late) return
          overdue--
          if (overdue === 0 && !closed) options.onResponsive?.()
        })
    })

  /** Connects on first use, waits for the first attempt only; then whether a command may go. */
  const usable = async (): Promise<void> => {
    if (closed) throw new Error('The connection is closed')
    if (!started) connect()
    const pending = first
    if (pending !== null) {
      await within(pending.attempt, options.timeout, 'the connection')
    }
    if (closed) throw new Error('The connection is closed')
    if (!client.isReady) throw new Error('Redis is not connected (reconnecting)')
    if (overdue > 0) {
      throw new Error('Redis has not answered an earlier command yet (timed out)')
    }
  }

  return {
    async send(args, timeout = options.timeout) {
      await usable()
      return within(client.sendCommand(args), timeout, args[0] ?? 'a command')
    },
    async transaction(commands) {
      await usable()
      // Issued in one synchronous run: node-redis writes them in this order, with nothing between.
      const replies = [
        client.sendCommand(['MULTI']),
        ...commands.map((args) => client.sendCommand(args)),
      ]
      const exec = client.sendCommand(['EXEC'])
      for (const reply of replies) reply.catch(() => {})
      const result = await within(exec, options.timeout, 'EXEC')
      if (!Array.isArray(result)) throw new Error('The transaction was aborted')
      return result
    },
    ready: () => !client.isOpen || (client.isReady && overdue === 0),
    async close(now = false) {
      if (closed) return
      closed = true
      first?.abandon(new Error('The connection is closed'))
      if (!client.isOpen) return
      if (now || !client.isReady || overdue > 0) {
        client.destroy()
        return
      }
      const graceful = client.close().then(
        () => true,
        () => false,
      )
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), options.timeout)
      })
      const done = await Promise.race([graceful, timedOut])
      clearTimeout(timer)
      if (!done && client.isOpen) client.destroy()
    },
  }
}
