import { LiveServerError, type PublishOptions, prepareMessage } from '@livedata/server/backplane'
import { createClient } from '@redis/client'
import { type OwnedRedisClient, redisConnection } from './connection'
import { epochGuard } from './epochs'
import { channelKeys, FIELDS } from './keys'
import { positiveOption, prefixOption, sourceOption } from './options'

/** The one method of a node-redis client the publisher uses: any client (or cluster) has it. */
export interface RedisCommander {
  sendCommand(args: string[]): Promise<unknown>
}

/** Options of {@link createPublisher}. */
export interface PublisherOptions {
  /** A Redis URL (`redis://host:6379`); the publisher connects and closes its own client. */
  url?: string
  /** A connected node-redis client of the app's, used as is (never closed by the publisher). */
  client?: RedisCommander
  /** The key prefix, the same as the servers'. Default `'livedata'`. */
  prefix?: string
  /** Messages kept per channel (approximately: Redis trims whole blocks). Default 1000. */
  history?: number
  /** The largest payload in bytes, as the servers hold their own publishes. Default 64 KiB. */
  maxPayload?: number
  /**
   * With `url`: how long a command may wait for Redis, in ms; past it the publish rejects
   * `ERR_BACKPLANE` (a Redis that stopped answering never leaves publishes pending). Default 5000.
   */
  commandTimeout?: number
}

/** A publisher: see {@link createPublisher}. */
export interface LivePublisher {
  /**
   * Checks `data` as `live.publish` does and appends it to the channel's stream; resolves with
   * its id, the same on every node. Rejects with `LiveServerError` (`ERR_INVALID_CHANNEL`,
   * `ERR_INVALID_EVENT`, `ERR_INVALID_PAYLOAD`, `ERR_PAYLOAD_TOO_LARGE`; `ERR_BACKPLANE` when
   * Redis failed, with its error as the cause; `ERR_CLOSED` after `close()`).
   */
  publish(channel: string, data: unknown, options?: PublishOptions): Promise<string>
  /** Closes the client it opened (not one it was given). */
  close(): Promise<void>
}

/**
 * Publishes to live channels from a process that serves no clients (a worker, a cron job):
 * each message goes to its channel's Redis Stream, which the servers of a Redis backplane read,
 * so it reaches their clients with one id everywhere. The stream is trimmed to about `history`.
 *
 * @example
 * ```ts
 * import { createPublisher } from '@livedata/redis'
 *
 * const publisher = createPublisher({ url: process.env.REDIS_URL })
 * const id = await publisher.publish('prices', { AAPL: 191.2 })
 * await publisher.close()
 * ```
 */
export function createPublisher(options: PublisherOptions): LivePublisher {
  const { url, client: given } = options
  sourceOption('createPublisher', url, given)
  const prefix = prefixOption(options.prefix)
  const history = positiveOption('history', options.history, 1000)
  const maxPayload = positiveOption('maxPayload', options.maxPayload, 64 * 1024)
  const commandTimeout = positiveOption('commandTimeout', options.commandTimeout, 5000)
  // No offline queue: while Redis is unreachable a publish fails at once (ERR_BACKPLANE) rather
  // than waiting in memory without bound; a client that cannot connect never crashes the
  // process (its errors end up in publish()), and a Redis that stops answering times out.
  const owned =
    url === undefined
      ? null
      : redisConnection(
          createClient({ url, disableOfflineQueue: true }) as unknown as OwnedRedisClient,
          { timeout: commandTimeout, onError: () => {} },
        )
  const send = (args: string[]): Promise<unknown> =>
    owned === null ? (given as RedisCommander).sendCommand(args) : owned.send(args)
  const epochs = epochGuard(send)
  let closed = false

  return {
    async publish(channel, data, publishOptions = {}) {
      if (closed) throw new LiveServerError('ERR_CLOSED', 'Cannot publish: the publisher is closed')
      const message = prepareMessage(channel, data, publishOptions, maxPayload)
      const keys = channelKeys(prefix, channel)
      const fields = [FIELDS.data, message.json]
      if (message.event !== undefined) fields.push(FIELDS.event, message.event)
      try {
        await epochs.ensure(channel, keys.epoch)
        const id = await send(['XADD', keys.stream, 'MAXLEN', '~', String(history), '*', ...fields])
        return String(id)
      } catch (cause) {
        epochs.forget()
        throw new LiveServerError('ERR_BACKPLANE', `Publishing on "${channel}" to Redis failed`, {
          cause,
        })
      }
    },
    async close() {
      if (closed) return
      closed = true
      await owned?.close()
    },
  }
}
