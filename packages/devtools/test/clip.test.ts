import { describe, expect, it } from 'vitest'
import { clip } from '../src/clip'

// What the panel shows of a text (a channel name, an error message): at most 200 characters.

describe('clip', () => {
  it('keeps a text of up to 200 characters as it is', () => {
    expect(clip('prices')).toBe('prices')
    expect(clip('a'.repeat(200))).toBe('a'.repeat(200))
    expect(clip('')).toBe('')
  })

  it('cuts a longer one to 200 characters, the last one …', () => {
    const cut = clip('a'.repeat(10_000))
    expect(cut).toHaveLength(200)
    expect(cut).toBe(`${'a'.repeat(199)}…`)
    expect(clip('a'.repeat(201))).toHaveLength(200)
  })

  it('cuts at another length when told', () => {
    expect(clip('abcdef', 4)).toBe('abc…')
    expect(clip('abcd', 4)).toBe('abcd')
  })
})
