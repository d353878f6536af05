import { createHash } from 'node:crypto'
import { type IdempotencyStore, LiveServerError } from '@livedata/server/backplane'

type Send = (args: string[]) => Promise<unknown>

/**
 * The idempotency keys of sends in Redis, shared by every node: `claim` is
 * `SET <prefix>:key:<sha1 of key> 1 NX PX <window>` (true the first time within `window` ms),
 * `release` deletes it. Keys are hashed, so a long channel or key costs no more than a short one.
 * Rejects with `LiveServerError('ERR_BACKPLANE')` when Redis fails.
 *
 * @example
 * ```ts
 * const store = redisIdempotencyStore(send, 'livedata', 600_000)
 * await store.claim('chat 5f0c…') // true, then false on every node for 10 minutes
 * ```
 */
export function redisIdempotencyStore(
  send: Send,
  prefix: string,
  window: number,
): IdempotencyStore {
  const keyOf = (key: string): string =>
    `${prefix}:key:${createHash('sha1').update(key).digest('base64')}`
  const failed = (cause: unknown): LiveServerError =>
    new LiveServerError('ERR_BACKPLANE', 'Checking an idempotency key in Redis failed', { cause })
  return {
    async claim(key) {
      try {
        return (await send(['SET', keyOf(key), '1', 'NX', 'PX', String(window)])) === 'OK'
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
