import { describe, expect, it } from 'vitest'
import { compareIds, seenCheck } from '../src/ids'
import { compareIds as exported } from '../src/index'

describe('compareIds', () => {
  it('orders by milliseconds, then by sequence, numerically', () => {
    expect(compareIds('1700000000000-2', '1700000000000-10')).toBeLessThan(0)
    expect(compareIds('1700000000001-0', '1700000000000-99')).toBeGreaterThan(0)
    expect(compareIds('5-5', '5-5')).toBe(0)
  })

  it('returns null when either id has another form', () => {
    for (const foreign of ['abc', '1', '-1', '1-', '1-x', '1.5-0', '-1-0', '9007199254740993-0']) {
      expect(compareIds(foreign, '1-1')).toBeNull()
      expect(compareIds('1-1', foreign)).toBeNull()
    }
  })

  it('is the implementation @livedata/core exports', () => {
    expect(exported).toBe(compareIds)
  })
})

describe('seenCheck', () => {
  it('counts an id at or before the last one as seen, and a later one as new', () => {
    const seen = seenCheck()
    expect(seen('1-1', '1-2')).toBe(true)
    expect(seen('1-2', '1-2')).toBe(true)
    expect(seen('1-3', '1-2')).toBe(false)
    expect(seen('2-0', '1-9')).toBe(false)
  })

  it('never counts an id of another form as seen, on either side', () => {
    const seen = seenCheck()
    expect(seen('abc', '1-2')).toBe(false)
    expect(seen('1-1', 'abc')).toBe(false)
  })

  it('follows a new last id', () => {
    const seen = seenCheck()
    expect(seen('1-5', '1-9')).toBe(true)
    expect(seen('1-5', '1-1')).toBe(false)
    expect(seen('1-5', '1-9')).toBe(true)
  })

  it('agrees with compareIds on random ids', () => {
    const seen = seenCheck()
    const id = () => `${Math.floor(Math.random() * 4)}-${Math.floor(Math.random() * 4)}`
    for (let i = 0; i < 500; i++) {
      const [a, b] = [id(), id()]
      expect(seen(a, b)).toBe((compareIds(a, b) as number) <= 0)
    }
  })
})

describe('compareIds on digits', () => {
  it('reads only plain decimal digits, as the server writes them', () => {
    for (const foreign of [' 1-1', '1- 1', '0x1-0', '1e3-0', '1-+1', '1-1-1', '１-1']) {
      expect(compareIds(foreign, '1-1')).toBeNull()
    }
    expect(compareIds('9007199254740991-0', '9007199254740990-5')).toBeGreaterThan(0)
    expect(compareIds('0-0', '0-0')).toBe(0)
  })
})
