import { describe, expect, it } from 'vitest'
import { Outbox } from '../src/outbox'

/** A socket that takes nothing until `drained` is set, and counts what it was given. */
function socket() {
  const state = { drained: false, sent: [] as number[], overflows: 0 }
  const target = {
    send: (item: number) => void state.sent.push(item),
    buffered: () => (state.drained ? 0 : Number.POSITIVE_INFINITY),
    overflow: () => void state.overflows++,
  }
  return { state, target }
}

describe('Outbox', () => {
  it('cuts a reader that stopped once maxBacklog items wait', () => {
    const { state, target } = socket()
    const outbox = new Outbox(target, 0, 10)
    for (let i = 0; i < 10; i++) outbox.push(i)
    expect(state.overflows).toBe(0)
    outbox.push(10)
    expect(state.overflows).toBe(1)
  })

  it('lets a prepaid opening wait beyond it, and only until that opening is written', () => {
    const { state, target } = socket()
    const outbox = new Outbox(target, 0, 10)
    // A replay of 100 (a whole history of several channels) is no sign of a slow reader...
    outbox.prepay(100)
    for (let i = 0; i < 110; i++) outbox.push(i)
    expect(state.overflows).toBe(0)
    // ...but once it is out, a reader that stops again is held to maxBacklog, not 110.
    state.drained = true
    outbox.pump()
    expect(state.sent).toHaveLength(110)
    state.drained = false
    for (let i = 0; i < 11; i++) outbox.push(i)
    expect(state.overflows).toBe(1)
  })
})
