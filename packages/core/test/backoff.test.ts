import { describe, expect, it } from 'vitest'
import { backoffDelay, DEFAULT_RECONNECT } from '../src/backoff'

const policy = { ...DEFAULT_RECONNECT, minDelay: 100, maxDelay: 1000, factor: 2 }

describe('backoffDelay', () => {
  it('grows exponentially from minDelay without jitter', () => {
    const delays = [1, 2, 3, 4].map((attempt) => backoffDelay(attempt, { ...policy, jitter: 0 }))
    expect(delays).toEqual([100, 200, 400, 800])
  })

  it('never exceeds maxDelay', () => {
    expect(backoffDelay(30, { ...policy, jitter: 0 })).toBe(1000)
    expect(backoffDelay(1000, { ...policy, jitter: 0 })).toBe(1000)
  })

  it('with full jitter spreads the delay over zero to the ceiling', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0)
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200)
    expect(backoffDelay(3, policy, () => 0.999)).toBe(400)
  })

  it('with partial jitter keeps the fixed share', () => {
    expect(backoffDelay(3, { ...policy, jitter: 0.25 }, () => 0)).toBe(300)
    expect(backoffDelay(3, { ...policy, jitter: 0.25 }, () => 0.999)).toBe(400)
  })
})
