import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { globalTimers } from '../src/environment'
import { createUpgradeProber, type Upgradable } from '../src/upgrade-prober'
import { fakeEnvironment } from './helpers'

/** A connection open on transport `index` whose probes the test settles by hand. */
function connection(index: number) {
  const probes: Array<{ target: number; done: (ok: boolean | null) => void }> = []
  const self: Upgradable & { probes: typeof probes } = {
    index,
    probes,
    upgrade(target, done) {
      probes.push({ target, done })
    },
  }
  return self
}

describe('the upgrade prober (backoff logic, fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('probes after minDelay, then doubles after each failure up to maxDelay', () => {
    const env = fakeEnvironment()
    const prober = createUpgradeProber(globalTimers, env.environment, {
      minDelay: 100,
      maxDelay: 350,
    })
    const c = connection(1)
    prober.track(c, true)
    vi.advanceTimersByTime(99)
    expect(c.probes).toHaveLength(0)
    const delays: number[] = []
    let last = 99
    for (let i = 0; i < 4; i++) {
      while (c.probes.length === i) {
        vi.advanceTimersByTime(1)
        last++
      }
      delays.push(last)
      last = 0
      c.probes[i]?.done(false)
    }
    expect(delays).toEqual([100, 200, 350, 350])
  })

  it('never runs two probes at once, and tries the next better transport after a failure', () => {
    const env = fakeEnvironment()
    const prober = createUpgradeProber(globalTimers, env.environment, { minDelay: 10 })
    const a = connection(2)
    const b = connection(1)
    prober.track(a, true)
    prober.track(b, true)
    vi.advanceTimersByTime(10_000)
    // The one furthest down probes, toward the best transport first; nothing more until it ends.
    expect(a.probes.map((p) => p.target)).toEqual([0])
    expect(b.probes).toHaveLength(0)
    a.probes[0]?.done(false)
    vi.advanceTimersByTime(20)
    expect(a.probes.map((p) => p.target)).toEqual([0, 1])
  })

  it('does not count a probe that could not start as a failure: the delay does not grow', () => {
    const env = fakeEnvironment()
    const prober = createUpgradeProber(globalTimers, env.environment, { minDelay: 100 })
    let asked = 0
    const busy: Upgradable = {
      index: 1,
      upgrade(_target, done) {
        asked++
        done(false) // at once: it cannot try now
      },
    }
    prober.track(busy, true)
    vi.advanceTimersByTime(100)
    expect(asked).toBe(1)
    vi.advanceTimersByTime(100)
    expect(asked).toBe(2)
  })

  it('does not count a probe torn down with its connection (no verdict) as a failure', () => {
    const env = fakeEnvironment()
    const prober = createUpgradeProber(globalTimers, env.environment, { minDelay: 100 })
    const c = connection(1)
    prober.track(c, true)
    vi.advanceTimersByTime(100)
    c.probes[0]?.done(null)
    vi.advanceTimersByTime(100)
    expect(c.probes).toHaveLength(2)
  })

  it('moves every other fallen connection up at once when a probe succeeds', () => {
    const env = fakeEnvironment()
    const prober = createUpgradeProber(globalTimers, env.environment, { minDelay: 10 })
    const a = connection(2)
    const b = connection(1)
    prober.track(a, true)
    prober.track(b, true)
    vi.advanceTimersByTime(10)
    a.probes[0]?.done(true)
    expect(b.probes.map((p) => p.target)).toEqual([0])
  })

  it('waits while the page is hidden or offline, and probes when both are back', () => {
    const env = fakeEnvironment()
    const prober = createUpgradeProber(globalTimers, env.environment, { minDelay: 10 })
    const c = connection(1)
    env.set({ visible: false })
    prober.track(c, true)
    vi.advanceTimersByTime(10_000)
    expect(c.probes).toHaveLength(0)
    env.set({ visible: true, online: false })
    expect(c.probes).toHaveLength(0)
    env.set({ online: true })
    expect(c.probes).toHaveLength(1)
  })

  it('stops when no connection is left on a worse transport', () => {
    const env = fakeEnvironment()
    const prober = createUpgradeProber(globalTimers, env.environment, { minDelay: 10 })
    const c = connection(1)
    prober.track(c, true)
    prober.track(c, false)
    vi.advanceTimersByTime(10_000)
    expect(c.probes).toHaveLength(0)
    expect(vi.getTimerCount()).toBe(0)
  })
})
