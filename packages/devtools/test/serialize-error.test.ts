import { LiveDataError } from '@livedata/core'
import { describe, expect, it, vi } from 'vitest'
import { type SerializedError, serializeError } from '../src/index'

// What "Copy as JSON" makes of an error: whatever an app or a server threw, it never throws,
// and what it gives is bounded and is JSON.

/** The serialized form, through JSON and back (what a bug report carries). */
const reported = (error: unknown) => JSON.parse(JSON.stringify(serializeError(error)))

describe('serializeError', () => {
  it('spells out a LiveDataError: name, message, code, status, retryable, and its cause', () => {
    const cause = new TypeError('fetch failed')
    const error = new LiveDataError('ERR_NETWORK', 'Cannot reach /live', { cause, status: 503 })
    expect(reported(error)).toEqual({
      name: 'LiveDataError',
      message: 'Cannot reach /live',
      code: 'ERR_NETWORK',
      status: 503,
      retryable: error.retryable,
      cause: { name: 'TypeError', message: 'fetch failed' },
    })
  })

  it('shows a plain object as its JSON, not [object Object]', () => {
    expect(serializeError({ reason: 'timeout', after: 3 })).toBe('{"reason":"timeout","after":3}')
    expect(serializeError(new Error('x', { cause: { reason: 'timeout' } }))).toEqual({
      name: 'Error',
      message: 'x',
      cause: { reason: 'timeout' },
    })
    expect(serializeError('boom')).toBe('boom')
    expect(serializeError(undefined)).toBe('[undefined]')
    expect(serializeError(null)).toBe('null')
    expect(serializeError(10n)).toBe('[bigint]')
  })

  it('takes a cause with no prototype (Object.create(null))', () => {
    const cause = Object.assign(Object.create(null), {
      reason: 'gone',
      nested: Object.create(null),
    })
    expect(reported(new Error('x', { cause }))).toEqual({
      name: 'Error',
      message: 'x',
      cause: { reason: 'gone', nested: {} },
    })
    expect(serializeError(Object.create(null))).toBe('{}')
  })

  it('takes getters that throw: the property says [thrown], the rest is kept', () => {
    const error = new Error('kept')
    Object.defineProperty(error, 'code', {
      get() {
        throw new Error('no code for you')
      },
    })
    const cause = {
      ok: 1,
      get bad(): never {
        throw new Error('nope')
      },
    }
    Object.defineProperty(error, 'cause', { value: cause })
    expect(reported(error)).toEqual({
      name: 'Error',
      message: 'kept',
      code: '[thrown]',
      cause: { ok: 1, bad: '[thrown]' },
    })
    // An error whose message itself throws.
    const hostile = new Error()
    Object.defineProperty(hostile, 'message', {
      get() {
        throw new Error('nope')
      },
    })
    expect(reported(hostile)).toEqual({ name: 'Error', message: '[thrown]' })
    // A proxy whose every trap throws.
    const trap = () => {
      throw new Error('trap')
    }
    const proxy = new Proxy({}, { get: trap, ownKeys: trap, getPrototypeOf: trap })
    expect(() => serializeError(proxy)).not.toThrow()
    expect(serializeError(proxy)).toBe('[thrown]')
    expect(reported(new Error('x', { cause: proxy }))).toEqual({
      name: 'Error',
      message: 'x',
      cause: '[thrown]',
    })
  })

  it('ends a cycle of causes, and a cycle of objects, with [Circular]', () => {
    const a = new Error('a')
    const b = new Error('b', { cause: a })
    Object.defineProperty(a, 'cause', { value: b })
    expect(reported(a)).toEqual({
      name: 'Error',
      message: 'a',
      cause: { name: 'Error', message: 'b', cause: '[Circular]' },
    })
    const self = new Error('self')
    Object.defineProperty(self, 'cause', { value: self })
    expect(reported(self)).toEqual({ name: 'Error', message: 'self', cause: '[Circular]' })

    const ring: Record<string, unknown> = { name: 'ring' }
    ring.self = ring
    ring.list = [ring, 1]
    expect(serializeError(ring)).toBe('{"name":"ring","self":"[Circular]","list":["[Circular]",1]}')
    // The same object twice, side by side, is no cycle.
    const shared = { n: 1 }
    expect(serializeError({ a: shared, b: shared })).toBe('{"a":{"n":1},"b":{"n":1}}')
  })

  it('follows 3 levels of causes and of objects, then says …', () => {
    let error: Error = new Error('level 10')
    for (let level = 9; level >= 0; level--) error = new Error(`level ${level}`, { cause: error })
    const levels: string[] = []
    let at: unknown = serializeError(error)
    while (typeof at === 'object' && at) {
      levels.push((at as SerializedError).message)
      at = (at as SerializedError).cause
    }
    expect(levels).toEqual(['level 0', 'level 1', 'level 2', 'level 3'])
    expect(at).toBe('…')

    let deep: unknown = 'bottom'
    for (let level = 0; level < 50; level++) deep = { deep }
    expect(serializeError(deep)).toBe('{"deep":{"deep":{"deep":{"deep":"…"}}}}')
  })

  it('keeps 10,000 characters of a huge text, and of many texts together', () => {
    const huge = new Error('x'.repeat(1_000_000), { cause: 'y'.repeat(1_000_000) })
    const out = serializeError(huge) as SerializedError
    expect(out.message.length).toBeLessThanOrEqual(10_000)
    expect(out.message.endsWith('…')).toBe(true)
    expect(JSON.stringify(out).length).toBeLessThan(10_200)

    // A hundred thousand short texts: as many as fit, then `…`.
    const many = Array.from({ length: 100_000 }, (_, n) => `entry ${n}`)
    const text = serializeError({ many }) as string
    expect(text.length).toBeLessThanOrEqual(10_000)
    const { many: kept } = JSON.parse(text)
    expect(kept.slice(0, 2)).toEqual(['entry 0', 'entry 1'])
    expect(kept.at(-1)).toBe('…')
    // As many numbers: the JSON is cut at 10,000 characters.
    const numbers = serializeError({ numbers: many.map((_, n) => n / 7) }) as string
    expect(numbers).toHaveLength(10_000)
    expect(numbers.endsWith('…')).toBe(true)
    const long = serializeError('z'.repeat(50_000)) as string
    expect(long.length).toBeLessThanOrEqual(10_000)
    expect(long.endsWith('z…')).toBe(true)
  })

  it('gives what JSON.stringify takes: functions, symbols and big integers named, undefined left out', () => {
    const error = new Error('x', { cause: { f() {}, s: Symbol('s'), n: 2n, u: undefined } })
    expect(() => JSON.stringify(serializeError(error))).not.toThrow()
    expect(reported(error).cause).toEqual({ f: '[function]', s: '[symbol]', n: '[bigint]' })
    expect(serializeError([1, () => 1])).toBe('[1,"[function]"]')
  })

  it('keeps an array in place (undefined as null), and reads no further into a huge one than it keeps', () => {
    expect(serializeError([1, undefined, 3])).toBe('[1,null,3]')
    // A million items, and a typed array of as many: read up to the room left, not listed whole.
    const huge = new Array(1_000_000).fill(7)
    const keys = vi.spyOn(Object, 'keys')
    const out = serializeError(
      new Error('x', { cause: { huge, bytes: new Uint8Array(1_000_000) } }),
    )
    expect(keys.mock.calls.every(([value]) => value !== huge)).toBe(true)
    keys.mockRestore()
    const cause = (out as SerializedError).cause as { huge: number[]; bytes: unknown }
    expect(cause.huge.length).toBeLessThanOrEqual(10_000)
    expect(cause.huge.slice(0, 3)).toEqual([7, 7, 7])
    expect(JSON.stringify(out).length).toBeLessThan(25_000)
  })
})
