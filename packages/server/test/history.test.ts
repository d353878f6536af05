import { describe, expect, it } from 'vitest'
import { History, type StoredMessage } from '../src/history'
import { compareIds, createIdGenerator } from '../src/ids'

const message = (id: string): StoredMessage => ({ id, channel: 'c', event: undefined, json: '0' })
const ids = (messages: StoredMessage[]) => messages.map((m) => m.id)

describe('History', () => {
  it('replays what came after an id it holds, without a gap', () => {
    const history = new History(10)
    for (let i = 1; i <= 5; i++) history.push(message(`1-${i}`))
    expect(history.since('1-2')).toEqual({
      messages: [message('1-3'), message('1-4'), message('1-5')],
      gap: false,
    })
  })

  it('has nothing to replay, and no gap, for the newest id', () => {
    const history = new History(3)
    for (let i = 1; i <= 5; i++) history.push(message(`1-${i}`))
    expect(history.since('1-5')).toEqual({ messages: [], gap: false })
  })

  it('drops the oldest message when full, and reports a gap for an id that fell out', () => {
    const history = new History(3)
    for (let i = 1; i <= 5; i++) history.push(message(`1-${i}`))
    expect(history.length).toBe(3)
    expect(history.oldest()?.id).toBe('1-3')
    const replay = history.since('1-1')
    expect(ids(replay.messages)).toEqual(['1-3', '1-4', '1-5'])
    expect(replay.gap).toBe(true)
  })

  it('reports a gap for an id it never issued, such as one from before a restart', () => {
    const history = new History(3)
    history.push(message('2000-0'))
    expect(history.since('1000-7')).toEqual({ messages: [message('2000-0')], gap: true })
    expect(new History(3).since('1000-7')).toEqual({ messages: [], gap: true })
  })

  it('keeps order across many wraps of the ring', () => {
    const history = new History(7)
    for (let i = 1; i <= 100; i++) history.push(message(`5-${i}`))
    expect(ids(history.since('5-95').messages)).toEqual(['5-96', '5-97', '5-98', '5-99', '5-100'])
  })
})

describe('message ids', () => {
  it('grow strictly even when the clock stands still or steps back', () => {
    const times = [100, 100, 100, 99, 101]
    const next = createIdGenerator(() => times.shift() ?? 0)
    const made = [next(), next(), next(), next(), next()]
    expect(made).toEqual(['100-0', '100-1', '100-2', '100-3', '101-0'])
    for (let i = 1; i < made.length; i++) {
      expect(compareIds(made[i] as string, made[i - 1] as string)).toBeGreaterThan(0)
    }
  })

  it('compare by time, then by sequence, numerically', () => {
    expect(compareIds('10-2', '9-30')).toBeGreaterThan(0)
    expect(compareIds('10-10', '10-9')).toBeGreaterThan(0)
    expect(compareIds('10-1', '10-1')).toBe(0)
  })
})
