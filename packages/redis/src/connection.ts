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
   * no waiting for node-redis's reconnections), and after `timeout` ms (the connection's
   * command timeout unless given) if Redis has not answered: then the socket is dropped and a
   * new one opened; commands fail at once until it is ready.
   */
  send(args: string[], timeout?: number): Promise<unknown>
  /**
   * Sends `commands` as one `MULTI` … `EXEC` (nothing else on the connection runs between them,
   * and Redis runs them at one instant): resolves `EXEC`'s replies, in which a command Redis
   * refused is its error (an `Error`). Fails as `send` does.
   */
  transaction(commands: string[][]): Promise<unknown[]>
  /**
   * Connected and ready, or never asked to connect (or closed). A connection that was started
   * and is not ready — reconnecting, opened again after a timeout, or given up on by the
   * client's `reconnectStrategy` — is not.
   */
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
  /** The socket opened again (after a timeout, or after the client gave up) is ready. */
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
 * connected on first use, and a command waits for that attempt only (never for node-redis's
 * reconnections, which go on in the background); it fails at once while the client is not
 * ready.
 *
 * A command unanswered after `timeout` ms fails, and the socket is destroyed and a new one
 * opened (and so is one whose connection attempt got no answer within `timeout`): a socket that
 * stopped carrying anything (a NAT or load-balancer flow gone, a peer vanished without a reset)
 * is never waited on until the kernel gives up on it. A client that stopped reconnecting (its
 * `reconnectStrategy` gave up) is connected again on the next use, which waits for that attempt,
 * or after `timeout` ms if it is not used (and again after each failed attempt).
 * Errors the client emits never crash the process: they reach `onError`.
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
  /**
   * The attempt to connect the wrapper made, until it settles: `awaited` by commands when it is
   * a first use's (or one after the client gave up); `abandon` rejects it.
   */
  let attempt: { done: Promise<void>; awaited: boolean; abandon: (error: Error) => void } | null =
    null
  /** Which socket: bumped each time the wrapper opens one, so a late timeout reopens once. */
  let socket = 0

  /** Set while a connection given up on by its `reconnectStrategy` waits to be opened again. */
  let revival: ReturnType<typeof setTimeout> | undefined

  const onError = (error: unknown): void => {
    if (!closed) options.onError(error)
  }
  client.on('error', (error?: unknown) => {
    onError(error)
    // Its reconnectStrategy gave up: nothing would connect it again before its next use (an idle
    // node would say "down" for good). Try again after `timeout`, and after each failure.
    if (closed || !started || client.isOpen || revival !== undefined) return
    revival = setTimeout(() => {
      revival = undefined
      if (!closed && !client.isOpen && attempt === null) open(false)
    }, options.timeout)
  })

  /**
   * Drops the client's socket if it has one and connects again. An attempt that neither
   * succeeds nor fails within `timeout` (a handshake nobody answers) is made again.
   */
  const open = (awaited: boolean): void => {
    const reopened = started
    started = true
    const on = ++socket
    attempt?.abandon(new Error('Redis did not answer: the connection is being opened again'))
    // node-redis clients connect() again after destroy(): destroy rejects what is in flight.
    if (client.isOpen) client.destroy()
    let abandon: (error: Error) => void = () => {}
    let watchdog: ReturnType<typeof setTimeout> | undefined
    const done = new Promise<void>((resolve, reject) => {
      const settle = (error?: unknown): void => {
        clearTimeout(watchdog)
        client.off('ready', ready)
        client.off('error', failed)
        if (attempt?.done === done) attempt = null
        if (error === undefined) {
          resolve()
          if (reopened && !closed) options.onResponsive?.()
        } else reject(error)
      }
      const ready = (): void => settle()
      const failed = (error?: unknown): void =>
        settle(error ?? new Error('Redis could not be reached'))
      abandon = settle
      client.on('ready', ready)
      client.on('error', failed)
    })
    done.catch(() => {})
    attempt = { done, awaited, abandon }
    watchdog = setTimeout(() => {
      if (on !== socket || closed) return
      onError(new Error(`Redis did not complete the connection within ${options.timeout} ms`))
      open(false)
    }, options.timeout)
    // node-redis's connect() stays pending while it retries: the events above say how it went.
    client.connect().catch(() => {})
  }

  const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const on = socket
      let late = false
      const timer = setTimeout(() => {
        late = true
        const error = new Error(`Redis did not answer ${what} within ${ms} ms`)
        onError(error)
        reject(error)
        // The socket may carry nothing any more while a new one would work (a NAT or
        // load-balancer flow gone): never wait on it again. Commands fail at once until the new
        // one is ready.
        if (on === socket && !closed) open(false)
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
    })

  /**
   * Connects on first use, and again when the client gave up reconnecting (waiting for that
   * attempt only); then whether a command may go.
   */
  const usable = async (): Promise<void> => {
    if (closed) throw new Error('The connection is closed')
    // Not open and not connecting: never used, or its reconnectStrategy gave up.
    if (!started || (!client.isOpen && attempt === null)) open(true)
    const pending = attempt
    if (pending?.awaited) await within(pending.done, options.timeout, 'the connection')
    if (closed) throw new Error('The connection is closed')
    if (!client.isReady) throw new Error('Redis is not connected (reconnecting)')
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
    ready: () => closed || !started || client.isReady,
    async close(now = false) {
      if (closed) return
      closed = true
      clearTimeout(revival)
      attempt?.abandon(new Error('The connection is closed'))
      if (!client.isOpen) return
      if (now || !client.isReady) {
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
