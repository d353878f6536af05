import { type LiveStatus, pollingTransport, type TransportName } from '@livedata/core'
import { describeWithRedis } from '@livedata/test-redis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { sequence, startCluster, type TestCluster } from './cluster'

// The rolling restart: three nodes behind a round-robin proxy, 10,000 sequenced
// messages published (by a worker: the publisher, not a node) while each node in turn is
// stopped (SIGTERM: it ends its connections) and started again. History lives in Redis, so
// every client, on every transport it can run here, ends with all of them, none twice, in
// order, and no gap flag. (The iframe transport needs a browser document: its resume is the
// same server code, checked by the conformance suite.)

const TOTAL = 10_000
/** The publisher stays at most this far ahead of the slowest client. */
const WINDOW = 1_000
const TRANSPORTS: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling']

let cluster: TestCluster

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, history: 2 * TOTAL })
})

afterAll(async () => {
  await cluster?.close()
})

describeWithRedis('a rolling restart of three nodes behind a round-robin proxy', () => {
  it(`delivers ${TOTAL} messages to a client on every transport: all, none twice, in order, no gap`, async () => {
    const clients = TRANSPORTS.map((transport) => {
      const client = cluster.client({
        transports: [transport],
        register: transport === 'polling' ? [pollingTransport({ interval: 20 })] : [],
      })
      const seq = sequence(client, 'rolling')
      const statuses: LiveStatus[] = []
      seq.source.subscribe(() => {
        const { status } = seq.source.getSnapshot()
        if (statuses.at(-1) !== status) statuses.push(status)
      })
      return { transport, seq, statuses }
    })
    await Promise.all(
      clients.map(({ seq }) => seq.until(() => seq.source.getSnapshot().status === 'open')),
    )

    let published = 0
    const restarted: string[] = []
    const waiters: Array<() => void> = []
    const reached = (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => (published >= count ? resolve() : waiters.push(check))
        check()
      })
    // Each node in turn, while messages flow: stopped, then started again on its port.
    const restarts = (async () => {
      for (const [i, node] of cluster.nodes.entries()) {
        await reached(((i + 1) * TOTAL) / 4)
        await node.stop()
        await node.start()
        restarted.push(node.name)
      }
    })()

    for (let n = 0; n < TOTAL; n++) {
      if (n % 100 === 0) {
        await Promise.all(
          clients.map(({ seq }) =>
            seq.until(() => seq.received.length >= n - WINDOW || seq.gaps > 0),
          ),
        )
      }
      await cluster.publisher.publish('rolling', n)
      published++
      for (const wake of waiters.splice(0)) wake()
    }
    await restarts
    await Promise.all(
      clients.map(({ seq }) => seq.until(() => seq.received.length >= TOTAL || seq.gaps > 0)),
    )

    expect(restarted).toEqual(['node-1', 'node-2', 'node-3'])
    const expected = Array.from({ length: TOTAL }, (_, n) => n)
    const figures = clients.map(({ transport, seq, statuses }) => ({
      transport,
      received: seq.received.length,
      distinct: new Set(seq.received).size,
      gaps: seq.gaps,
      reconnects: statuses.filter((status) => status === 'reconnecting').length,
    }))
    console.log(`rolling restart, ${TOTAL} messages:`, JSON.stringify(figures))
    for (const { seq } of clients) {
      expect(seq.gaps).toBe(0)
      expect(seq.received).toEqual(expected)
    }
    // The restarts cut the connections held open: those clients resumed on another node. (A
    // poll cut by a stopping node is simply polled again, through the proxy, elsewhere.)
    for (const { transport, statuses } of clients) {
      if (transport === 'websocket' || transport === 'sse') {
        expect(statuses).toContain('reconnecting')
      }
    }
    // And the requests went round every node.
    const served = new Set(cluster.routed.map((entry) => entry.node))
    expect(served).toEqual(new Set(['node-1', 'node-2', 'node-3']))
  }, 120_000)
})
