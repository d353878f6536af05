import { describe, expect, it } from 'vitest'
import type { LiveClient, TransportName } from '../src/types'
import { gatedWebSocket } from './gated-websocket'
import { testScope, waitForSnapshot } from './servers'

const { server, client } = testScope()

function sequence(c: LiveClient) {
  const seq = c.source<number[], number>('seq', { initialData: [], reduce: (l, n) => [...l, n] })
  seq.subscribe(() => {})
  return seq
}

describe.each(['long-polling', 'sse'] as const)('moving up from %s', (fallback) => {
  it('moves to WebSocket once it is accepted, mid-stream of 1,000 messages: 0 lost, 0 twice, in order', async () => {
    const s = await server()
    const { gate, WebSocket } = gatedWebSocket()
    const c = client({
      url: s.url,
      transports: ['websocket', fallback],
      WebSocket,
      upgrade: { minDelay: 20, maxDelay: 100 },
    })
    const seq = sequence(c)
    // The transports it was open on, in order: never back down, nor a reconnect in between.
    const transports = new Set<TransportName | null>()
    const after: string[] = []
    seq.subscribe(() => {
      const { status, transport } = seq.getSnapshot()
      if (status === 'open') transports.add(transport)
      if (transports.size > 0) after.push(status)
    })
    await waitForSnapshot(seq, (x) => x.status === 'open' && x.transport === fallback)
    const sent: number[] = []
    for (let n = 1; n <= 1000; n++) {
      s.live.publish('seq', n)
      sent.push(n)
      // The proxy lets WebSocket through a third of the way in.
      if (n === 300) gate.blocked = false
      if (n % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    const done = await waitForSnapshot(
      seq,
      (x) => x.data.length >= 1000 && x.transport === 'websocket',
    )
    expect(done.data).toEqual(sent)
    expect(done.status).toBe('open')
    expect([...transports]).toEqual([fallback, 'websocket'])
    // The app saw nothing of the move but the transport: open all along.
    expect(after.every((status) => status === 'open')).toBe(true)
    // One socket for the move, not one per probe or per channel.
    expect(gate.opened).toBe(1)
    s.live.publish('seq', 1001)
    await waitForSnapshot(seq, (x) => x.data.at(-1) === 1001)
    expect(seq.getSnapshot().data).toHaveLength(1001)
  })
})
