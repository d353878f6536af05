// @livedata/server/backplane: the contract between a server and a shared log of its channels
// (@livedata/redis builds one on Redis Streams). See docs/decisions/scale-out.md.

import type { LiveServerError } from './errors'
import type { StoredMessage } from './history'
import type { IdempotencyStore } from './idempotency-store'
import type { PreparedMessage } from './message'

export type { LiveServerErrorCode } from './errors'
export { LiveServerError } from './errors'
export type { StoredMessage } from './history'
export type { IdempotencyStore } from './idempotency-store'
export type { PreparedMessage, PublishOptions } from './message'
export { prepareMessage } from './message'

/** Whether a backplane reaches its shared log now, and since when (ms since the epoch). */
export interface BackplaneHealth {
  state: 'up' | 'down'
  since: number
}

/** What a server gives its backplane when it starts using it. */
export interface BackplaneHost {
  /**
   * Messages the server keeps per channel: a follow's first `load` gives at most this many,
   * the newest.
   */
  history: number
  /**
   * Reports trouble (`ERR_BACKPLANE`: the log is unreachable, or came back; a follow failed) to
   * the server's `onError`. Never throws.
   */
  report(error: LiveServerError): void
}

/** What a followed channel hears from the backplane, in this order: `load`, then `message`s. */
export interface FollowListener {
  /**
   * The channel's log as this follow starts: its newest messages (at most the host's
   * `history`), oldest first, and whether the log holds older ones too (`more`). Called again
   * after `lost`, with the log as it now is.
   */
  load(messages: StoredMessage[], more: boolean): void
  /** Each message appended after the load, once, in the log's order. */
  message(message: StoredMessage): void
  /**
   * The log is no longer the one this channel was loaded from (the store restarted without
   * its data, or trimmed past what this node had read): what the node holds and its clients'
   * cursors may miss messages. A new `load` follows once the log is readable.
   */
  lost(): void
  /** The first load failed (the log is unreachable): the channel cannot be served yet. */
  failed(error: LiveServerError): void
}

/**
 * A shared, ordered log of every channel, so that several server nodes serve any client: each
 * node follows the channels its clients use, and a publish on any node reaches all of them with
 * the same id. The server uses it as given with `createLiveServer({ backplane })`.
 *
 * @example
 * ```ts
 * import { redisBackplane } from '@livedata/redis'
 * const live = createLiveServer({ backplane: redisBackplane({ url: process.env.REDIS_URL }) })
 * const id = await live.publish('prices', { AAPL: 191.2 }) // the same id on every node
 * ```
 */
export interface Backplane {
  /** Called once, by the server that uses it, before anything else. */
  start(host: BackplaneHost): void
  /**
   * Appends a checked message to its channel's log; resolves with its id, the log's. Rejects
   * with `LiveServerError('ERR_BACKPLANE')` when the log is unreachable (nothing is queued).
   */
  publish(message: PreparedMessage): Promise<string>
  /**
   * Follows a channel until the returned function is called: `listener.load` with the log's
   * newest messages first, then each appended message once, in order, across reconnections.
   */
  follow(channel: string, listener: FollowListener): () => void
  /**
   * Whether the channel's log holds `id` now: a client resuming from an id this node has not
   * read yet (it was served by a node further ahead) waits for it rather than getting a gap.
   */
  has(channel: string, id: string): Promise<boolean>
  /**
   * The channel's newest message in the log now (`null` when it has none), read once: nothing is
   * followed nor kept. `live.snapshot(channel)` of a channel the node does not follow uses it, so
   * that snapshots of names nobody uses (a REST route that snapshots any name) load no channel
   * and never take the room of real ones (`maxChannels`). The server shares one read among
   * snapshots of a channel at the same time and has at most `maxSnapshotReads` in flight, each
   * given up after 10 s (the read itself still counts until it settles, so it must settle: a
   * backplane gives a command up after a timeout of its own, as `redisBackplane` does after
   * `commandTimeout`). Rejects with `LiveServerError('ERR_BACKPLANE')` when the log is unreachable. Optional: without it, a
   * snapshot loads and follows the channel as a subscribe would (it lingers 30 s, and counts
   * toward `maxChannels`).
   *
   * @example
   * ```ts
   * await backplane.newest?.('prices') // { id: '1700000000000-3', channel: 'prices', event: undefined, json: '{"AAPL":191.2}' }
   * ```
   */
  newest?(channel: string): Promise<StoredMessage | null>
  /** Where the idempotency keys of sends are kept, shared by every node; absent for none. */
  idempotency?: IdempotencyStore
  /** Whether the log is reachable now. */
  health(): BackplaneHealth
  /** Stops following and closes what the backplane opened (not a client it was given). */
  close(): Promise<void>
}
