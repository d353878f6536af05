import { describe, expect, it } from 'vitest'
import { Outbox } from '../src/outbox'

/** A socket that takes nothing until `drained` is set, and records each write it was given. */
function socket() {
  const state = {
    drained: false,
    writes: [] as number[][],
    overflows: 0,
    failures: [] as unknown[],
  }
  const target = {
    text: (item: number) => String(item),
    write: (texts: string[]) => void state.writes.push(texts.map(Number)),
    fail: (error: unknown) => void state.failures.push(error),
    buffered: () => (state.drained ? 0 : Number.POSITIVE_INFINITY),
    behind: () => void state.overflows++,
  }
  const sent = () => state.writes.flat()
  return { state, target, sent }
}

/** Lets the end-of-tick flush run. */
const endOfTick = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('Outbox', () => {
  it('cuts a reader that stopped once maxBacklog items wait', () => {
    const { state, target } = socket()
    const outbox = new Outbox(target, 0, 10)
    for (let i = 0; i < 10; i++) outbox.push(i)
    expect(state.overflows).toBe(0)
    outbox.push(10)
    expect(state.overflows).toBe(1)
  })

  it('lets a prepaid opening wait beyond it, and only until that opening is written', async () => {
    const { state, target, sent } = socket()
    const outbox = new Outbox(target, 1 << 20, 10)
    // A replay of 100 (a whole history of several channels) is no sign of a slow reader...
    outbox.prepay(100)
    for (let i = 0; i < 110; i++) outbox.push(i)
    expect(state.overflows).toBe(0)
    // ...but once it is out, a reader that stops again is held to maxBacklog, not 110.
    state.drained = true
    outbox.pump()
    await endOfTick()
    expect(sent()).toHaveLength(110)
    state.drained = false
    for (let i = 0; i < 11; i++) outbox.push(i)
    expect(state.overflows).toBe(1)
  })

  it('hands the items of one tick to the target in one write, in order, at the end of the tick', async () => {
    const { state, target } = socket()
    state.drained = true
    const outbox = new Outbox(target, 1 << 20, 1000)
    for (let i = 0; i < 200; i++) outbox.push(i)
    expect(state.writes).toEqual([])
    await endOfTick()
    expect(state.writes).toEqual([Array.from({ length: 200 }, (_, i) => i)])
    outbox.push(200)
    await endOfTick()
    expect(state.writes[1]).toEqual([200])
  })

  it('holds a tick to the byte budget, and writes what it held back without waiting for a drain', async () => {
    const { state, target, sent } = socket()
    state.drained = true
    // Room for about ten 3-character items per write; the socket takes everything at once, so
    // no drain event would ever come for the rest.
    const outbox = new Outbox(target, 30, 1000)
    for (let i = 100; i < 200; i++) outbox.push(i)
    await endOfTick()
    expect(sent()).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i))
    expect(state.writes.length).toBeGreaterThan(5)
    for (const write of state.writes) expect(write.length).toBeLessThanOrEqual(11)
  })
})

describe('Outbox, a long tick and a failing target', () => {
  it('hands a long burst over in pieces of about 128 KiB, before the tick ends, in order', () => {
    const { state, target, sent } = socket()
    state.drained = true
    const outbox = new Outbox(target, 1 << 30, 1 << 20)
    const item = 1e9 // ten characters each
    for (let i = 0; i < 40_000; i++) outbox.push(item + i)
    // 400,000 characters: three pieces already went, synchronously; the rest waits for the tick.
    expect(state.writes.length).toBe(3)
    for (const write of state.writes) expect(write.length * 10).toBeLessThanOrEqual(128 * 1024 + 10)
    outbox.flush()
    expect(sent()).toEqual(Array.from({ length: 40_000 }, (_, i) => item + i))
  })

  it('tells a target whose write threw, and the other outboxes of the tick still write', async () => {
    const a = socket()
    const b = socket()
    a.state.drained = true
    b.state.drained = true
    const broken = new Error('the socket is broken')
    const first = new Outbox(
      {
        ...a.target,
        write: () => {
          throw broken
        },
      },
      1 << 20,
      100,
    )
    const second = new Outbox(b.target, 1 << 20, 100)
    first.push(1)
    second.push(2)
    await endOfTick()
    expect(a.state.failures).toEqual([broken])
    expect(b.sent()).toEqual([2])
    // Nothing stays stuck: the next tick writes again.
    second.push(3)
    await endOfTick()
    expect(b.sent()).toEqual([2, 3])
  })
})
