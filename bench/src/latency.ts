/**
 * Latency samples, in ms: `add` one, then `summary` gives the percentiles (nearest rank).
 *
 * @example
 * ```ts
 * const latency = latencies()
 * latency.add(0.8)
 * latency.summary() // { count: 1, p50: 0.8, p99: 0.8, max: 0.8 }
 * ```
 */
export function latencies() {
  const samples: number[] = []
  return {
    add(ms: number) {
      samples.push(ms)
    },
    summary(): { count: number; p50: number; p99: number; max: number } {
      const sorted = [...samples].sort((a, b) => a - b)
      const at = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN
      return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) }
    },
  }
}
