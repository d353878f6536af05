/**
 * Milliseconds since the epoch, with the resolution of `performance.now()`: a clock two
 * processes on one machine can compare (each one's `timeOrigin` is read from the system clock
 * when it starts, then it runs on the monotonic clock).
 */
export function epochNow(): number {
  return performance.timeOrigin + performance.now()
}

/** One exchange with another process: our time sent, its time, our time back. */
export interface ClockSample {
  sent: number
  theirs: number
  back: number
}

/**
 * How far another process's {@link epochNow} runs ahead of ours, from a few round trips (the
 * one with the shortest round trip counts; its error is at most half that trip): NTP's estimate.
 *
 * @example
 * ```ts
 * const offset = clockOffset(samples) // their time − offset = our time
 * ```
 */
export function clockOffset(samples: readonly ClockSample[]): { offset: number; error: number } {
  let best: ClockSample | undefined
  for (const sample of samples)
    if (!best || sample.back - sample.sent < best.back - best.sent) best = sample
  if (!best) throw new Error('clockOffset needs at least one sample')
  return {
    offset: best.theirs - (best.sent + best.back) / 2,
    error: (best.back - best.sent) / 2,
  }
}
