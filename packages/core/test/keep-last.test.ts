import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import { testScope, waitForSnapshot } from './servers'

// A latest-value channel (`channels: { ticker: { keep: 'last' } }` on @livedata/server): a
// client that joins long after the last publish gets that message at once, on every transport,
// with the real client against a real server on loopback. (The iframe transport needs a
// browser: it is tested in real Chromium in examples/server/test/keep-last.e2e.test.ts.)
//
// "Joins 5 s after the last publish": the server hands a fresh subscriber the newest message
// it holds, whatever its age (nothing in the code reads the clock for it), so the test does not
// wait 5 s per transport: it publishes, then joins, and the message must still arrive within
// 100 ms of the subscribe, with no publish after the join to carry it.

const { server, client } = testScope({ WebSocket: NodeWebSocket })

describe.each(['websocket', 'sse', 'long-polling', 'polling'] as const)('over %s', (transport) => {
  it('a client joining after the last publish gets it within 100 ms', async () => {
    const s = await server({ channels: { ticker: { keep: 'last' } } })
    s.live.publish('ticker', { price: 100 })
    const last = s.live.publish('ticker', { price: 101 })
    const c = client({ url: s.url, transports: [transport] })
    const ticker = c.source<{ price: number }>('ticker')
    const joined = performance.now()
    ticker.subscribe(() => {})
    const snapshot = await waitForSnapshot(ticker, (x) => x.data !== undefined)
    const elapsed = performance.now() - joined
    expect(snapshot.data).toEqual({ price: 101 })
    expect(snapshot.lastEventId).toBe(last)
    expect(snapshot.transport).toBe(transport)
    expect(elapsed).toBeLessThan(100)
    // Then live, with nothing repeated.
    s.live.publish('ticker', { price: 102 })
    const next = await waitForSnapshot(ticker, (x) => x.data?.price === 102)
    expect(next.error).toBeNull()
  })

  it('a channel without keep gives a late joiner nothing until the next publish', async () => {
    const s = await server()
    s.live.publish('ticker', { price: 101 })
    const ticker = client({ url: s.url, transports: [transport] }).source<{ price: number }>(
      'ticker',
    )
    ticker.subscribe(() => {})
    await waitForSnapshot(ticker, (x) => x.status === 'open' && x.lastEventId !== null)
    expect(ticker.getSnapshot().data).toBeUndefined()
  })
})
