import { createHash } from 'node:crypto'

/**
 * Where the server remembers the idempotency keys it accepted, so that a send retried with the
 * same key (after a lost acknowledgement, or flushed again after a reload) is acknowledged
 * without reaching the `message` listeners twice. The in-memory one is
 * {@link createMemoryIdempotencyStore}; a backplane implements the same calls so that every node
 * shares the keys. A shared store should take a key for a lease first and mark it delivered on
 * `complete` (the Redis one: `SET key p NX PX lease`, then `SET key d PX window`): a claim whose
 * answer was lost must not turn the client's retry into a "repeat" that is never delivered.
 *
 * @example
 * ```ts
 * const store: IdempotencyStore = {
 *   claim: async (key) => {
 *     if ((await redis.set(`idem:${key}`, 'p', { NX: true, PX: 30_000 })) === 'OK') return true
 *     if ((await redis.get(`idem:${key}`)) === 'd') return false
 *     throw new LiveServerError('ERR_BACKPLANE', 'A send with this key is in progress; try again later')
 *   },
 *   complete: async (key) => void (await redis.set(`idem:${key}`, 'd', { PX: 600_000 })),
 *   release: async (key) => void (await redis.del(`idem:${key}`)),
 * }
 * createLiveServer({ idempotencyStore: store })
 * ```
 */
export interface IdempotencyStore {
  /**
   * Takes `key` (the channel and the client's key, `"<channel> <key>"`): `true` the first time
   * within the window (deliver it), `false` for a repeat of a delivered send (acknowledge it
   * without delivering). Rejecting answers the send 503 `ERR_BACKPLANE` without delivering it,
   * and the client retries later: when the store failed, or when the key's send is still in
   * progress (on another node) so that it is neither free nor a repeat yet. The rejection's
   * message is the answer's when it is a `LiveServerError('ERR_BACKPLANE')`; `onError` hears of
   * the first rejection, and of none after it until a claim resolved again.
   */
  claim(key: string): boolean | Promise<boolean>
  /**
   * Marks `key` delivered: its send's listeners took it (awaited before the send is
   * acknowledged). Optional: a store whose `claim` already remembers the key for the whole
   * window (the in-memory one) needs none. Its failure is swallowed and reported nowhere (the
   * send was delivered): a leasing store then lets the key go at the end of its lease, and a
   * retry after that is delivered again (at least once, only then).
   */
  complete?(key: string): void | Promise<void>
  /** Forgets `key`: its send failed (a listener threw), so a retry must be delivered. */
  release(key: string): void | Promise<void>
}

/** What an idempotency key may be: 1 to 128 of `A–Z a–z 0–9 _ -` (a UUID fits). */
const KEY = /^[\w-]{1,128}$/

/**
 * Whether `key` is a valid idempotency key: a string of 1 to 128 letters, digits, `_` and `-`.
 *
 * @example
 * ```ts
 * isIdempotencyKey(crypto.randomUUID()) // true
 * isIdempotencyKey('a b') // false
 * ```
 */
export const isIdempotencyKey = (key: unknown): key is string =>
  typeof key === 'string' && KEY.test(key)

/** Options of {@link createMemoryIdempotencyStore}. */
export interface MemoryIdempotencyOptions {
  /** How long a key is remembered, in ms. */
  window: number
  /** Most keys remembered; past it the oldest is forgotten first. */
  maxKeys: number
  /** The clock, in ms. Default `Date.now`. */
  now?: () => number
}

/**
 * The in-memory {@link IdempotencyStore}: each key is remembered for `window` ms, at most
 * `maxKeys` of them (the oldest forgotten first, so a client sending fresh keys without end
 * costs at most `maxKeys` entries). Keys are kept as a 20-byte digest, so a long channel name
 * and a long key cost no more than short ones: about 100 bytes an entry.
 *
 * @example
 * ```ts
 * const store = createMemoryIdempotencyStore({ window: 600_000, maxKeys: 100_000 })
 * store.claim('chat 5f0c…') // true
 * store.claim('chat 5f0c…') // false: a repeat
 * ```
 */
export function createMemoryIdempotencyStore(options: MemoryIdempotencyOptions): IdempotencyStore {
  const { window, now = Date.now } = options
  const maxKeys = Math.max(1, options.maxKeys)
  // Insertion order is age order (every key lives `window` ms): the oldest is always first.
  const seen = new Map<string, number>()
  const digest = (key: string): string => createHash('sha1').update(key).digest('base64')
  return {
    claim(key) {
      const at = now()
      for (const [oldest, since] of seen) {
        if (at - since < window) break
        seen.delete(oldest)
      }
      const id = digest(key)
      if (seen.has(id)) return false
      if (seen.size >= maxKeys) seen.delete(seen.keys().next().value as string)
      seen.set(id, at)
      return true
    },
    release(key) {
      seen.delete(digest(key))
    },
  }
}
