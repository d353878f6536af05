import { createHash } from 'node:crypto'

/**
 * Where the server remembers the idempotency keys it accepted, so that a send retried with the
 * same key (after a lost acknowledgement, or flushed again after a reload) is acknowledged
 * without reaching the `message` listeners twice. The in-memory one is
 * {@link createMemoryIdempotencyStore}; a backplane (Redis: `SET key 1 NX PX window`) implements
 * the same two calls so that every node shares the keys.
 *
 * @example
 * ```ts
 * const store: IdempotencyStore = {
 *   claim: async (key) => (await redis.set(`idem:${key}`, '1', 'PX', 600_000, 'NX')) === 'OK',
 *   release: async (key) => void (await redis.del(`idem:${key}`)),
 * }
 * createLiveServer({ idempotencyStore: store })
 * ```
 */
export interface IdempotencyStore {
  /**
   * Takes `key` (the channel and the client's key, `"<channel> <key>"`): `true` the first time
   * within the window, `false` for a repeat.
   */
  claim(key: string): boolean | Promise<boolean>
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
