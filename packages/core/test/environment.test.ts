import { afterEach, describe, expect, it, vi } from 'vitest'
import { browserEnvironment } from '../src/environment'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('browserEnvironment', () => {
  it('outside a browser is always online and visible, and subscribing is harmless', () => {
    const env = browserEnvironment()
    expect(env.isOnline()).toBe(true)
    expect(env.isVisible()).toBe(true)
    expect(() => env.subscribe(() => {})()).not.toThrow()
  })

  it('follows online, offline and visibilitychange until unsubscribed', () => {
    const win = new EventTarget()
    const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' })
    const nav = { onLine: true }
    vi.stubGlobal('window', win)
    vi.stubGlobal('document', doc)
    vi.stubGlobal('navigator', nav)
    const env = browserEnvironment()
    const seen: Array<[boolean, boolean]> = []
    const stop = env.subscribe(() => seen.push([env.isOnline(), env.isVisible()]))

    nav.onLine = false
    win.dispatchEvent(new Event('offline'))
    doc.visibilityState = 'hidden'
    doc.dispatchEvent(new Event('visibilitychange'))
    nav.onLine = true
    win.dispatchEvent(new Event('online'))
    stop()
    win.dispatchEvent(new Event('offline'))

    expect(seen).toEqual([
      [false, true],
      [false, false],
      [true, false],
    ])
  })
})
