import type { ReconnectOptions } from './types'

/** A reconnection policy with every option filled in. */
export type ReconnectPolicy = Required<ReconnectOptions>

/** The defaults of {@link ReconnectOptions}. */
export const DEFAULT_RECONNECT: ReconnectPolicy = {
  minDelay: 500,
  maxDelay: 30_000,
  factor: 2,
  jitter: 1,
  maxAttempts: Number.POSITIVE_INFINITY,
}

/**
 * The delay before reconnect attempt `attempt` (1 for the first retry): exponential growth from
 * `minDelay` by `factor`, capped at `maxDelay`, of which the `jitter` share is random ("full
 * jitter" at 1, so that clients dropped together do not come back together).
 *
 * @example
 * ```ts
 * backoffDelay(3, { ...DEFAULT_RECONNECT, jitter: 0 }) // 2000
 * ```
 */
export function backoffDelay(
  attempt: number,
  policy: ReconnectPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1)
  const ceiling = Math.min(policy.maxDelay, policy.minDelay * policy.factor ** exponent)
  const fixed = ceiling * (1 - policy.jitter)
  return Math.round(fixed + ceiling * policy.jitter * random())
}
