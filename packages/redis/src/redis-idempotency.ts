import { createHash } from 'node:crypto'
import { type IdempotencyStore, LiveServerError } from '@livedata/server/backplane'

type Send = (args: string[]) => Promise<unknown>

/** The value of a key whose send is with the listeners of some node (or whose claim's answer was lost). */
const PENDING = 'p'
/** The value of a key whose send was delivered: a repeat for the whole window. */
const DONE = 'd'

/** How long keys live in Redis, in ms. */
export interface RedisIdempotencyTimes {
  /** How long a delivered key is remembered: a repeat within it is acknowledged, not delivered. */
  window: number
  /**
   * How long a claimed key stays taken before its send is delivered: past it, a claim whose
   * answer was lost (or a node that died mid-delivery) no longer blocks the retry.
   */
  lease: number
}

/**
 * The idempotency keys of sends in Redis, shared by every node, with a lease:
 *
 * - `claim` is `SET <prefix>:key:<sha1 of key> p NX PX <lease>`: `true` when it took the key.
 *   When the key exists, `GET` says what it is: `d` (delivered) → `false`, a repeat; `p` (a
 *   delivery in progress on some node, or a claim whose answer was lost) → rejects with
 *   `LiveServerError('ERR_BACKPLANE', '… in progress; try again later')`, so the send is answered
 *   503 and retried; once the lease is over the key is free again. A key that expired between
 *   the two commands is claimed once more.
 * - `complete` is `SET <key> d PX <window>`: the send was delivered; every node now answers a
 *   repeat of it as one for `window` ms.
 * - `release` deletes the key: the send failed, its retry must be delivered.
 *
 * Keys are hashed, so a long channel or key costs no more than a short one. Rejects with
 * `LiveServerError('ERR_BACKPLANE')` when Redis fails (a failed `complete` is swallowed by the
 * server: the send was delivered; its key then frees itself after the lease, so a retry after
 * that is delivered again — at least once, only then).
 *
 * @example
 * ```ts
 * const store = redisIdempotencyStore(send, 'livedata', { window: 600_000, lease: 30_000 })
 * await store.claim('chat 5f0c…') // true; on any node meanwhile: ERR_BACKPLANE (in progress)
 * await store.complete?.('chat 5f0c…') // from now on, false on every node for 10 minutes
 * ```
 */
export function redisIdempotencyStore(
  send: Send,
  prefix: string,
  times: RedisIdempotencyTimes,
): IdempotencyStore {
  const { window, lease } = times
  const keyOf = (key: string): string =>
    `${prefix}:key:${createHash('sha1').update(key).digest('base64')}`
  const failed = (cause: unknown): LiveServerError =>
    new LiveServerError('ERR_BACKPLANE', 'Checking an idempotency key in Redis failed', { cause })
  const inProgress = (): LiveServerError =>
    new LiveServerError(
      'ERR_BACKPLANE',
      `A send with this idempotency key is in progress (or its claim's answer was lost, for up to ${lease} ms); try again later`,
    )
  const take = async (stored: string): Promise<boolean> =>
    (await send(['SET', stored, PENDING, 'NX', 'PX', String(lease)])) === 'OK'
  return {
    async claim(key) {
      const stored = keyOf(key)
      let value: unknown
      try {
        if (await take(stored)) return true
        value = await send(['GET', stored])
        // It expired between the two commands: free again, once.
        if (value === null && (await take(stored))) return true
      } catch (cause) {
        throw failed(cause)
      }
      // Taken again meanwhile (null), or with the listeners of some node now: not a repeat yet.
      if (value === null || String(value) === PENDING) throw inProgress()
      // `d`, or a key written by an older version (`1`): delivered.
      return false
    },
    async complete(key) {
      try {
        await send(['SET', keyOf(key), DONE, 'PX', String(window)])
      } catch (cause) {
        throw failed(cause)
      }
    },
    async release(key) {
      try {
        await send(['DEL', keyOf(key)])
      } catch (cause) {
        throw failed(cause)
      }
    },
  }
}
