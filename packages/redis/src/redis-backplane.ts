import { type Backplane, type BackplaneHost, LiveServerError } from '@livedata/server/backplane'
import { createClient } from '@redis/client'
import { isUnreachable, type OwnedRedisClient, redisConnection } from './connection'
import { epochGuard } from './epochs'
import { createFollower } from './follower'
import { redisHealth } from './health'
import { channelKeys, FIELDS } from './keys'
import { positiveOption, prefixOption, sourceOption } from './options'
import { redisIdempotencyStore } from './redis-idempotency'
import { toStoredMessages } from './stream-entries'
import { isStreamId } from './stream-ids'

/**
 * A node-redis client of the app's (`createClient()` of `redis` or `@redis/client`): the
 * backplane only `duplicate({ disableOfflineQueue: true })`s it, twice (one connection for its
 * commands, one for its blocking read), and closes those duplicates on `close()`. The app's
 * client itself sends nothing for the backplane and is never closed by it. A single Redis (or
 * one behind Sentinel), not a cluster: one `XREAD` reads the streams of many channels.
 *
 * @example
 * ```ts
 * const client = createClient({ url: process.env.REDIS_URL, password: process.env.REDIS_PASSWORD })
 * redisBackplane({ client }) // its connection options, its own two connections
 * ```
 */
export interface RedisClientLike {
  duplicate(overrides?: { disableOfflineQueue?: boolean }): OwnedRedisClient
}

/**
 * Options of {@link redisBackplane}: `url` or `client`, the rest optional.
 *
 * @example
 * ```ts
 * const options: RedisBackplaneOptions = { url: 'redis://localhost:6379', prefix: 'app', history: 500 }
 * ```
 */
export interface RedisBackplaneOptions {
  /** A Redis URL (`redis://host:6379`): the backplane opens (and closes) two clients of its own. */
  url?: string
  /**
   * A client of the app's, whose options (url, credentials, TLS, RESP) the backplane's own two
   * connections copy (`duplicate()`); it is never used nor closed by the backplane.
   */
  client?: RedisClientLike
  /** The key prefix, the same on every node and publisher. Default `'livedata'`. */
  prefix?: string
  /** Messages kept per channel's stream (approximately: `MAXLEN ~`). Default 1000. */
  history?: number
  /**
   * How long an idempotency key of a send is remembered, in ms; `0` keeps none in Redis (the
   * server then uses its own store). Default 600,000 (10 minutes).
   */
  idempotencyWindow?: number
  /**
   * How long a send's idempotency key stays taken while its send is not yet delivered, in ms:
   * a retry meanwhile (on any node) is answered 503 `ERR_BACKPLANE` and comes back later. Past
   * it the key is free again, so a claim whose answer was lost (Redis stalled past
   * `commandTimeout`, then ran it) or a node that died mid-delivery blocks its send no longer.
   * Make it longer than your `message` listeners take. Default 30,000.
   *
   * @example
   * ```ts
   * redisBackplane({ url, idempotencyLease: 60_000 }) // listeners that may take up to a minute
   * ```
   */
  idempotencyLease?: number
  /** How long the follower's `XREAD` blocks before it is issued again, in ms. Default 5000. */
  block?: number
  /**
   * How long a command may wait for Redis's answer, in ms (the blocking `XREAD`: `block` and
   * this much). On expiry it rejects with `ERR_BACKPLANE`, `health()` turns `down`, the
   * connection's socket is dropped and a new one opened, and commands fail at once until it is
   * ready (a stalled socket never wedges the node). A command that timed out may still have run
   * in Redis. Default 5000.
   */
  commandTimeout?: number
}

/**
 * A {@link Backplane} on Redis Streams, for `createLiveServer({ backplane })`: several server
 * nodes share every channel's log, so a publish on any node reaches the subscribers of all of
 * them with one id, and any request may land on any node.
 *
 * - `publish` appends to the channel's stream (`XADD <prefix>:ch:<channel> MAXLEN ~ <history>`)
 *   and resolves its id; while Redis is unreachable (not connected, or a command went
 *   unanswered for `commandTimeout`) it rejects at once with `ERR_BACKPLANE` (nothing waits in
 *   memory).
 * - `newest` reads a channel's last entry once (`XREVRANGE … + - COUNT 1`), for
 *   `live.snapshot(channel)` of a channel the node does not follow: nothing is followed, and
 *   nothing written.
 * - `follow` loads the channel's newest messages, then one loop per backplane (one blocking
 *   connection) delivers every new entry once, in order. A follow whose first load fails (Redis
 *   unreachable) gets `failed()` and is over: the server follows again on the next subscribe.
 *   A read takes up to `history` entries per channel (a full batch is read again at once); a
 *   full batch or a follow's first read is checked (`XINFO STREAM`): if entries were trimmed
 *   before it read them, or the channel's epoch changed, it gets `lost()` and a new `load()`.
 *   After an outage, a channel whose stream was lost (Redis restarted without persistence) gets
 *   the same; the others go on where they were, missing nothing. Following writes nothing.
 * - Every command rejects with `ERR_BACKPLANE` at once while its connection is not ready, and
 *   after `commandTimeout` ms without an answer; `close()` never hangs.
 * - `health()` is `down` while Redis is unreachable; the host's `report` hears once when it goes
 *   and once when it is back.
 * - `idempotency` keeps the sends' keys in Redis, shared by every node: a key is taken for
 *   `idempotencyLease` ms (`SET … p NX PX`), then marked delivered for `idempotencyWindow` ms
 *   (`SET … d PX`); a retry while it is taken is answered 503 `ERR_BACKPLANE`, never
 *   acknowledged without being delivered.
 *
 * Throws `LiveServerError('ERR_INVALID_OPTIONS')` for options that cannot work.
 *
 * @example
 * ```ts
 * import { createLiveServer } from '@livedata/server'
 * import { redisBackplane } from '@livedata/redis'
 *
 * const live = createLiveServer({ backplane: redisBackplane({ url: process.env.REDIS_URL }) })
 * const id = await live.publish('prices', { AAPL: 191.2 }) // the same id on every node
 * ```
 */
export function redisBackplane(options: RedisBackplaneOptions): Backplane {
  const { url, client: given } = options
  sourceOption('redisBackplane', url, given)
  if (given !== undefined && typeof given.duplicate !== 'function') {
    throw new LiveServerError(
      'ERR_INVALID_OPTIONS',
      'redisBackplane: client must be a node-redis client (it has no duplicate())',
    )
  }
  const prefix = prefixOption(options.prefix)
  const history = positiveOption('history', options.history, 1000)
  const block = positiveOption('block', options.block, 5000)
  const commandTimeout = positiveOption('commandTimeout', options.commandTimeout, 5000)
  const window = options.idempotencyWindow ?? 600_000
  if (!Number.isSafeInteger(window) || window < 0) {
    throw new LiveServerError(
      'ERR_INVALID_OPTIONS',
      `idempotencyWindow must be 0 or a positive integer (ms), got ${window}`,
    )
  }
  const lease = positiveOption('idempotencyLease', options.idempotencyLease, 30_000)

  let host: BackplaneHost | undefined
  let closed = false
  // Up again once every connection is ready: two clients reconnecting one after the other are
  // one outage, not two.
  const health = redisHealth(
    () => host?.report,
    () => command.ready() && blocking.ready(),
  )
  const report = (error: LiveServerError): void => {
    try {
      host?.report(error)
    } catch {
      // report never throws; if it does, the backplane goes on.
    }
  }
  // Errors the clients emit (each failed reconnection) and commands that timed out must never
  // crash the process: they only mark Redis unreachable; commands fail on their own and say why.
  const onError = (error: unknown): void => health.down(error)
  const onResponsive = (): void => health.up()

  // Two connections of the backplane's own, without offline queue, even with the app's client
  // (its offline queue would hold commands while Redis is down): never the app's client itself.
  const created = url === undefined ? null : createClient({ url, disableOfflineQueue: true })
  const source: RedisClientLike = created ?? (given as RedisClientLike)
  const commandClient: OwnedRedisClient = created ?? source.duplicate({ disableOfflineQueue: true })
  const blockingClient: OwnedRedisClient = source.duplicate({ disableOfflineQueue: true })
  const command = redisConnection(commandClient, {
    timeout: commandTimeout,
    onError,
    onResponsive,
  })
  const blocking = redisConnection(blockingClient, {
    timeout: commandTimeout,
    onError,
    onResponsive,
  })
  const epochs = epochGuard(command.send)
  const follower = createFollower({
    command,
    blocking,
    prefix,
    // The trim length: a read gets all a stream holds, so a node keeps up with a burst.
    count: history,
    block,
    readTimeout: block + commandTimeout,
    history: () => host?.history ?? history,
    health,
    report,
  })
  // A new connection may be to a Redis that lost its keys: set each epoch again.
  const reconnected = (): void => {
    epochs.forget()
    follower.reconnected()
    health.up()
  }
  const commandReady = (): void => {
    epochs.forget()
    health.up()
  }
  blockingClient.on('ready', reconnected)
  commandClient.on('ready', commandReady)

  /**
   * The refusals (Redis answered with an error: out of memory, READONLY after a failover,
   * NOPERM) reported since the last command that went through: each kind is told once, not
   * once per publish, and again after Redis accepted a command in between.
   */
  const refusals = new Set<string>()
  const accepted = (): void => {
    refusals.clear()
    health.up()
  }
  const failure = (what: string, cause: unknown): LiveServerError => {
    if (isUnreachable(cause)) health.down(cause)
    else {
      // The first word of a Redis error is its kind: OOM, READONLY, NOPERM, WRONGTYPE…
      const kind = (cause instanceof Error ? cause.message : String(cause)).split(' ')[0] ?? ''
      if (!refusals.has(kind)) {
        refusals.add(kind)
        report(
          new LiveServerError('ERR_BACKPLANE', `${what} failed: Redis refused the command`, {
            cause,
          }),
        )
      }
    }
    return new LiveServerError(
      'ERR_BACKPLANE',
      `${what} failed: Redis ${isUnreachable(cause) ? 'is unreachable' : 'refused the command'}`,
      { cause },
    )
  }

  return {
    start(given) {
      host = given
      // Connected now, not on first use: a node with nothing to follow or publish yet must still
      // notice (and its health check say) that Redis is unreachable.
      command.send(['PING']).then(
        () => health.up(),
        (cause: unknown) => {
          if (isUnreachable(cause)) health.down(cause)
        },
      )
    },
    async publish(message) {
      if (closed) {
        throw new LiveServerError('ERR_CLOSED', 'Cannot publish: the backplane is closed')
      }
      const keys = channelKeys(prefix, message.channel)
      const fields = [FIELDS.data, message.json]
      if (message.event !== undefined) fields.push(FIELDS.event, message.event)
      try {
        await epochs.ensure(message.channel, keys.epoch)
        const id = await command.send([
          'XADD',
          keys.stream,
          'MAXLEN',
          '~',
          String(history),
          '*',
          ...fields,
        ])
        accepted()
        return String(id)
      } catch (cause) {
        epochs.forget()
        throw failure(`Publishing on "${message.channel}"`, cause)
      }
    },
    follow(channel, listener) {
      return follower.follow(channel, listener)
    },
    async has(channel, id) {
      if (!isStreamId(id)) return false
      if (closed) throw new LiveServerError('ERR_CLOSED', 'The backplane is closed')
      try {
        const reply = await command.send(['XRANGE', channelKeys(prefix, channel).stream, id, id])
        return Array.isArray(reply) && reply.length > 0
      } catch (cause) {
        throw failure(`Looking up ${id} in "${channel}"`, cause)
      }
    },
    async newest(channel) {
      if (closed) throw new LiveServerError('ERR_CLOSED', 'The backplane is closed')
      try {
        // The stream's last entry, read once: no follow, no key written.
        const reply = await command.send([
          'XREVRANGE',
          channelKeys(prefix, channel).stream,
          '+',
          '-',
          'COUNT',
          '1',
        ])
        return toStoredMessages(channel, reply)[0] ?? null
      } catch (cause) {
        throw failure(`Reading the newest message of "${channel}"`, cause)
      }
    },
    ...(window > 0
      ? { idempotency: redisIdempotencyStore(command.send, prefix, { window, lease }) }
      : {}),
    health: () => health.get(),
    async close() {
      if (closed) return
      closed = true
      const stopped = follower.stop()
      blockingClient.off('ready', reconnected)
      commandClient.off('ready', commandReady)
      // The loop's XREAD may be blocked: end its connection at once.
      await blocking.close(true)
      await stopped
      await command.close()
    },
  }
}
