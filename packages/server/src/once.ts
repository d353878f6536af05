import type { IdempotencyStore } from './idempotency-store'

/** Hands one send to the `message` listeners; rejects when one of them failed. */
export type Delivery = () => Promise<void>

/**
 * Delivers each send with an idempotency key once: the first with `channel` and `key` within
 * the store's window is delivered, a repeat resolves (is acknowledged) without delivering. A
 * repeat that arrives while the first is still with the listeners waits for its outcome: it is
 * acknowledged when the first was, and delivered in its place when the first failed (a failed
 * send's key is released, so that the retry is not lost). A send without a key is delivered.
 *
 * @example
 * ```ts
 * const once = createOnce(createMemoryIdempotencyStore({ window: 600_000, maxKeys: 100_000 }))
 * await once('chat', frame.key, () => hub.receive('chat', frame.data, context))
 * ```
 */
export function createOnce(store: IdempotencyStore | null) {
  // Sends with the listeners now, by "<channel> <key>": a repeat waits for the first's outcome.
  const inFlight = new Map<string, Promise<void>>()
  return async function once(
    channel: string,
    key: string | undefined,
    deliver: Delivery,
  ): Promise<void> {
    if (key === undefined || store === null) return deliver()
    // A space is outside both alphabets: no channel and key pair can name another's.
    const scoped = `${channel} ${key}`
    for (let first = inFlight.get(scoped); first; first = inFlight.get(scoped)) {
      if (
        await first.then(
          () => true,
          () => false,
        )
      )
        return
    }
    const run = (async () => {
      if (!(await store.claim(scoped))) return
      try {
        await deliver()
      } catch (error) {
        await Promise.resolve()
          .then(() => store.release(scoped))
          .catch(() => {})
        throw error
      }
    })()
    inFlight.set(scoped, run)
    try {
      await run
    } finally {
      if (inFlight.get(scoped) === run) inFlight.delete(scoped)
    }
  }
}

/** Delivers a send once per idempotency key; see {@link createOnce}. */
export type Once = ReturnType<typeof createOnce>
