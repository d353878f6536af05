/** Delays between attempts to reach Redis again: see {@link backoff}. */
export interface Backoff {
  /** The next delay in ms: doubling from `min` to `max`, jittered to between half and all of it. */
  next(): number
  /** After a success: the next delay starts from `min` again. */
  reset(): void
}

/**
 * Bounded, jittered exponential backoff, so that nodes retrying Redis neither spin nor retry in
 * step: 100 ms doubling to 2 s by default.
 *
 * @example
 * ```ts
 * const delays = backoff()
 * delays.next() // 50–100
 * delays.next() // 100–200
 * ```
 */
export function backoff(min = 100, max = 2000, random: () => number = Math.random): Backoff {
  let attempt = 0
  return {
    next() {
      const full = Math.min(max, min * 2 ** attempt)
      attempt = Math.min(attempt + 1, 30)
      return Math.round(full / 2 + (random() * full) / 2)
    },
    reset() {
      attempt = 0
    },
  }
}
