import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { globalTimers } from '../src/environment'
import { createStore } from '../src/store'

// The store of a source on its own. Fake timers for the linger only.

function setup(linger = 100) {
  const calls: string[] = []
  const store = createStore(
    { count: 0, name: 'a' },
    globalTimers,
    linger,
    () => calls.push('start'),
    () => calls.push('stop'),
  )
  return { store, calls }
}

/** Lets queued microtasks (the batched notification) run. */
const tick = () => Promise.resolve()

describe('store snapshots', () => {
  it('keeps one snapshot object until a value changes, then makes one new frozen object', () => {
    const { store } = setup()
    const first = store.getSnapshot()
    expect(store.getSnapshot()).toBe(first)
    store.update({ count: 0, name: 'a' })
    expect(store.getSnapshot()).toBe(first)
    store.update({ count: 1 })
    const second = store.getSnapshot()
    expect(second).not.toBe(first)
    expect(second).toEqual({ count: 1, name: 'a' })
    expect(Object.isFrozen(second)).toBe(true)
    expect(store.getSnapshot()).toBe(second)
  })

  it('makes one object for a burst of updates read once', () => {
    const { store } = setup()
    const freeze = vi.spyOn(Object, 'freeze')
    for (let i = 1; i <= 1000; i++) store.update({ count: i })
    expect(store.getSnapshot().count).toBe(1000)
    expect(freeze).toHaveBeenCalledTimes(1)
    freeze.mockRestore()
  })

  it('keeps the first snapshot as the frozen initial while the state moves on', () => {
    const { store } = setup()
    const initial = store.initial
    store.update({ count: 5 })
    expect(store.initial).toBe(initial)
    expect(initial).toEqual({ count: 0, name: 'a' })
    expect(Object.isFrozen(initial)).toBe(true)
    expect(store.state.count).toBe(5)
  })
})

describe('store notifications', () => {
  it('notifies a burst of updates in one tick once, after the tick', async () => {
    const { store } = setup()
    const heard: number[] = []
    store.subscribe(() => heard.push(store.getSnapshot().count))
    for (let i = 1; i <= 100; i++) store.update({ count: i })
    expect(heard).toEqual([])
    await tick()
    expect(heard).toEqual([100])
    store.update({ count: 101 })
    await tick()
    expect(heard).toEqual([100, 101])
  })

  it('does not notify an update that changes nothing', async () => {
    const { store } = setup()
    const listener = vi.fn()
    store.subscribe(listener)
    store.update({ count: 0 })
    await tick()
    expect(listener).not.toHaveBeenCalled()
  })

  it('reports a listener that throws and still notifies the others', async () => {
    const { store } = setup()
    const reported: unknown[] = []
    const original = (globalThis as { reportError?: unknown }).reportError
    ;(globalThis as { reportError?: unknown }).reportError = (error: unknown) =>
      reported.push(error)
    try {
      const boom = new Error('boom')
      const after = vi.fn()
      store.subscribe(() => {
        throw boom
      })
      store.subscribe(after)
      store.update({ count: 1 })
      await tick()
      expect(reported).toEqual([boom])
      expect(after).toHaveBeenCalledTimes(1)
    } finally {
      ;(globalThis as { reportError?: unknown }).reportError = original
    }
  })
})

describe('store lifecycle', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('starts on every subscribe and stops linger ms after the last unsubscribe', () => {
    const { store, calls } = setup(100)
    const a = store.subscribe(() => {})
    const b = store.subscribe(() => {})
    expect(calls).toEqual(['start', 'start'])
    expect(store.subscribed()).toBe(true)
    a()
    vi.advanceTimersByTime(1000)
    expect(calls).toEqual(['start', 'start'])
    b()
    expect(store.subscribed()).toBe(false)
    vi.advanceTimersByTime(99)
    expect(calls).toEqual(['start', 'start'])
    vi.advanceTimersByTime(1)
    expect(calls).toEqual(['start', 'start', 'stop'])
  })

  it('does not stop when a subscriber comes back within the linger', () => {
    const { store, calls } = setup(100)
    store.subscribe(() => {})()
    vi.advanceTimersByTime(50)
    store.subscribe(() => {})
    vi.advanceTimersByTime(1000)
    expect(calls).toEqual(['start', 'start'])
  })

  it('ignores a second call of the same unsubscribe', () => {
    const { store, calls } = setup(100)
    const a = store.subscribe(() => {})
    a()
    store.subscribe(() => {})
    a()
    vi.advanceTimersByTime(1000)
    expect(calls).toEqual(['start', 'start'])
  })

  it('release stops at once and cancels a pending lingering stop', () => {
    const { store, calls } = setup(100)
    store.subscribe(() => {})()
    store.release()
    expect(calls).toEqual(['start', 'stop'])
    vi.advanceTimersByTime(1000)
    expect(calls).toEqual(['start', 'stop'])
  })
})
