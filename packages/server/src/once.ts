import { LiveServerError } from './errors'
import type { IdempotencyStore } from './idempotency-store'

/** Hands one send to the `message` listeners; rejects when one of them failed. */
export type Delivery = () => Promise<void>

/**
 * Delivers each send with an idempotency key once: the first with `channel` and `key` within
 * the store's window is delivered, a repeat resolves (is acknowledged) without delivering. A
 * repeat that arrives while the first is still with the listeners waits for its outcome: it is
 * acknowledged when the first was, and delivered in its place when the first failed (a failed
 * send's key is released, so that the retry is not lost). A send without a key is delivered.
 * A delivered send's key is then marked so in the store (`complete`, when it has one), before
 * the send is acknowledged; a failure to mark it is swallowed (the send was delivered).
 * A store that fails to take a key (Redis down), or says that its send is still in progress on
 * another node, rejects the send with `ERR_BACKPLANE`, without delivering it (it is answered 503
 * and retried): `onStoreFailure` hears of the first failure, and of none after it until the
 * store took a key again.
 *
 * @example
 * ```ts
 * const once = createOnce(createMemoryIdempotencyStore({ window: 600_000, maxKeys: 100_000 }))
 * await once('chat', frame.key, () => hub.receive('chat', frame.data, context))
 * ```
 */
export function createOnce(
  store: IdempotencyStore | null,
  onStoreFailure: (error: LiveServerError) => void = () => {},
) {
  /** Whether the store's last claim failed: its outage was reported already. */
  let failing = false
  async function claim(channel: string, scoped: string): Promise<boolean> {
    try {
      const claimed = await (store as IdempotencyStore).claim(scoped)
      failing = false
      return claimed
    } catch (cause) {
      // A store's own ERR_BACKPLANE says why (a send in progress elsewhere, Redis unreachable).
      const why =
        cause instanceof LiveServerError && cause.code === 'ERR_BACKPLANE'
          ? cause.message
          : 'the idempotency store failed to take its key'
      const error = new LiveServerError(
        'ERR_BACKPLANE',
        `A send on "${channel}" was not delivered, and its client retries: ${why}`,
        { cause },
      )
      if (!failing) {
        failing = true
        onStoreFailure(error)
      }
      throw error
    }
  }
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
      if (!(await claim(channel, scoped))) return
      try {
        await deliver()
      } catch (error) {
        await Promise.resolve()
          .then(() => store.release(scoped))
          .catch(() => {})
        throw error
      }
      // Delivered: a repeat from now on (in a leasing store, until now "in progress").
      await Promise.resolve()
        .then(() => store.complete?.(scoped))
        .catch(() => {})
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
