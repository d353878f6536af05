import { describe, expect, it } from 'vitest'
import { MAX_CHANNELS_PER_REQUEST, parseChannelSet, resumeId } from '../src/channel-set'

const problemOf = (specs: string[]): string => {
  const set = parseChannelSet(specs)
  if (!('problem' in set)) throw new Error(`expected a problem, got ${JSON.stringify(set)}`)
  return set.problem
}

const startsOf = (specs: string[]) => {
  const set = parseChannelSet(specs)
  if ('problem' in set) throw new Error(set.problem)
  return set.starts
}

describe('parseChannelSet', () => {
  it('reads fresh, resuming and backlog specs, in the request order', () => {
    expect(startsOf(['prices!1700000000000-3', 'news', 'chat*50'])).toEqual([
      { channel: 'prices', lastEventId: '1700000000000-3', replay: 0 },
      { channel: 'news', lastEventId: null, replay: 0 },
      { channel: 'chat', lastEventId: null, replay: 50 },
    ])
  })

  it('takes everything after the first "!" as the id, "!" and "*" included, cut to 64 characters', () => {
    expect(startsOf(['a!b!c*d'])).toEqual([{ channel: 'a', lastEventId: 'b!c*d', replay: 0 }])
    const [start] = startsOf([`a!${'9'.repeat(100_000)}`])
    expect(start?.lastEventId).toBe('9'.repeat(64))
    // A "*" first makes it a backlog spec, whose count must be digits.
    expect(problemOf(['a*3!1-0'])).toContain('whole number')
  })

  it('caps a huge backlog instead of refusing it, and reads *0 as none', () => {
    expect(startsOf(['a*99999999999999999999999'])[0]?.replay).toBe(Number.MAX_SAFE_INTEGER)
    expect(startsOf(['a*0'])[0]).toEqual({ channel: 'a', lastEventId: null, replay: 0 })
  })

  it.each([
    ['no spec at all', [], 'at least one channel'],
    ['an empty spec', [''], 'Channel names are'],
    ['an empty id', ['prices!'], 'empty id'],
    ['a backlog that is not a number', ['prices*ten'], 'whole number'],
    ['a negative backlog', ['prices*-1'], 'whole number'],
    ['an empty backlog', ['prices*'], 'whole number'],
    ['a fractional backlog', ['prices*1.5'], 'whole number'],
    ['a name that is only a marker', ['!1-0'], 'Channel names are'],
    ['a star first', ['*5'], 'Channel names are'],
    ['a unicode name', ['prïces'], 'Channel names are'],
    ['a name with a space', ['a b'], 'Channel names are'],
    ['a name too long', ['x'.repeat(257)], 'Channel names are'],
    ['a channel twice', ['a', 'b', 'a!1-0'], 'named twice'],
  ])('refuses %s with a sentence naming it', (_name, specs, problem) => {
    expect(problemOf(specs)).toContain(problem)
  })

  it('quotes client input cut to 200 characters, whatever its size', () => {
    const problem = problemOf([`${'é'.repeat(1_000_000)}`])
    expect(problem.length).toBeLessThan(700)
    expect(problem).toContain('…')
    expect(problemOf([`a*${'x'.repeat(10_000)}`]).length).toBeLessThan(400)
  })

  it(`takes ${MAX_CHANNELS_PER_REQUEST} channels and refuses one more, or 10,000`, () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `ch-${i}`)
    expect(startsOf(names(MAX_CHANNELS_PER_REQUEST))).toHaveLength(MAX_CHANNELS_PER_REQUEST)
    expect(problemOf(names(MAX_CHANNELS_PER_REQUEST + 1))).toContain('At most 1000 channels')
    expect(problemOf(names(10_000))).toContain('got 10000')
  })
})

describe('resumeId', () => {
  it('is null for nothing, else the id cut to 64 characters', () => {
    expect(resumeId(null)).toBeNull()
    expect(resumeId('')).toBeNull()
    expect(resumeId('1-0')).toBe('1-0')
    expect(resumeId('x'.repeat(65))).toBe('x'.repeat(64))
  })
})
