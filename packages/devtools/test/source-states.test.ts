import type { InspectEvent } from '@livedata/core'
import { describe, expect, it } from 'vitest'
import { createSourceStates, type SourceStates } from '../src/index'

// The per-source states folded from inspect events, fed in the orders a client can report them
// (a send's `sent` after its answer, the same event twice, a source closed and made again, the
// leading tab's shared connection beside its own source).

type Send = Extract<InspectEvent, { type: 'send' }>

let time = 0
const send = (channel: string, id: string, state: Send['state'], shared?: true): InspectEvent => ({
  type: 'send',
  channel,
  id,
  state,
  time: ++time,
  ...(shared && { shared }),
})
const state = (
  channel: string,
  status: 'connecting' | 'open' | 'closed',
  transport: 'sse' | 'websocket' | 'tab' | null = null,
  shared?: true,
): InspectEvent => ({
  type: 'state',
  channel,
  status,
  transport,
  attempt: 0,
  error: null,
  time: ++time,
  ...(shared && { shared }),
})

function fed(...events: InspectEvent[]): SourceStates {
  const states = createSourceStates()
  for (const event of events) states.apply(event)
  return states
}

const pending = (states: SourceStates) =>
  states.sources.map(({ channel, shared, pendingSends }) => [channel, shared, pendingSends])

describe('the sends waiting, per source', () => {
  it('counts queued and sent ones until their answer', () => {
    const states = fed(
      state('chat', 'open', 'sse'),
      send('chat', 'a', 'queued'),
      send('chat', 'b', 'queued'),
      send('chat', 'a', 'sent'),
    )
    expect(pending(states)).toEqual([['chat', false, 2]])
    states.apply(send('chat', 'a', 'acked'))
    states.apply(send('chat', 'b', 'failed'))
    expect(pending(states)).toEqual([['chat', false, 0]])
  })

  it('starts over at 0 when the source is closed, and counts afresh once it is made again', () => {
    const states = fed(
      state('chat', 'open', 'sse'),
      send('chat', 'a', 'queued'),
      send('chat', 'b', 'sent'),
    )
    expect(pending(states)).toEqual([['chat', false, 2]])
    // Closed with its sends unanswered: nobody will report their answer.
    states.apply(state('chat', 'closed'))
    expect(pending(states)).toEqual([['chat', false, 0]])
    states.apply(state('chat', 'connecting'))
    states.apply(state('chat', 'open', 'sse'))
    states.apply(send('chat', 'c', 'queued'))
    expect(pending(states)).toEqual([['chat', false, 1]])
    states.apply(send('chat', 'c', 'acked'))
    expect(pending(states)).toEqual([['chat', false, 0]])
  })

  it('does not count a send again when its `sent` is heard after its answer', () => {
    const states = fed(
      state('chat', 'open', 'websocket'),
      send('chat', 'a', 'queued'),
      send('chat', 'a', 'acked'),
      // Sent again after a lost answer, reported after the answer of the first try.
      send('chat', 'a', 'sent'),
    )
    expect(pending(states)).toEqual([['chat', false, 0]])
    states.apply(send('chat', 'b', 'sent'))
    states.apply(send('chat', 'b', 'failed'))
    states.apply(send('chat', 'b', 'sent'))
    expect(pending(states)).toEqual([['chat', false, 0]])
  })

  it('counts an event heard twice once', () => {
    const states = fed(
      state('chat', 'open', 'sse'),
      send('chat', 'a', 'queued'),
      send('chat', 'a', 'queued'),
      send('chat', 'a', 'sent'),
      send('chat', 'a', 'sent'),
    )
    expect(pending(states)).toEqual([['chat', false, 1]])
    states.apply(send('chat', 'a', 'acked'))
    states.apply(send('chat', 'a', 'acked'))
    expect(pending(states)).toEqual([['chat', false, 0]])
  })

  it('counts a send queued again after its answer (a stored send sent once more) as waiting', () => {
    const states = fed(
      state('chat', 'open', 'sse'),
      send('chat', 'a', 'queued'),
      send('chat', 'a', 'acked'),
    )
    states.apply(send('chat', 'a', 'queued'))
    expect(pending(states)).toEqual([['chat', false, 1]])
  })

  it('keeps the same send id of two channels apart', () => {
    const states = fed(
      state('chat', 'open', 'sse'),
      state('news', 'open', 'sse'),
      send('chat', 'a', 'queued'),
      send('news', 'a', 'queued'),
    )
    states.apply(send('chat', 'a', 'acked'))
    expect(pending(states)).toEqual([
      ['chat', false, 0],
      ['news', false, 1],
    ])
  })

  it('makes no source of a send on a channel this page has none of (a previous page send, flushed)', () => {
    const states = fed(state('news', 'open', 'sse'), send('chat', 'a', 'sent'))
    states.apply(send('chat', 'a', 'acked'))
    expect(pending(states)).toEqual([['news', false, 0]])
  })
})

describe("the leading tab's shared connection", () => {
  it('is a source of its own, marked shared, with its own status, transport and sends', () => {
    const states = fed(
      { type: 'tab', role: 'leader', time: ++time },
      state('prices', 'open', 'tab'),
      state('prices', 'open', 'websocket', true),
      send('prices', 'k1', 'queued', true),
      { type: 'cursor', channel: 'prices', lastEventId: '7', time: ++time, shared: true },
    )
    expect(states.tab).toBe('leader')
    expect(states.sources).toEqual([
      expect.objectContaining({
        channel: 'prices',
        shared: false,
        transport: 'tab',
        pendingSends: 0,
        lastEventId: null,
      }),
      expect.objectContaining({
        channel: 'prices',
        shared: true,
        transport: 'websocket',
        pendingSends: 1,
        lastEventId: '7',
      }),
    ])
    // The shared connection closing leaves the tab's own source as it was.
    states.apply(state('prices', 'closed', null, true))
    expect(states.sources.map(({ shared, status }) => [shared, status])).toEqual([
      [false, 'open'],
      [true, 'closed'],
    ])
  })
})
