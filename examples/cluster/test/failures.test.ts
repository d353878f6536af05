import { createLiveClient, type LiveStatus, type TransportName } from '@livedata/core'
import { describeWithRedis } from '@livedata/test-redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { holesIn, sequence, startCluster, type TestCluster } from './cluster'

const TOTAL = 2_000
/** The publisher stays at most this far ahead of the client. */
const WINDOW = 200

/** Publishes `TOTAL` numbers on `channel`, paced by `seq`, calling `at(n)` before the n-th. */
async function publishAll(
  cluster: TestCluster,
  channel: string,
  seq: ReturnType<typeof sequence>,
  at: (n: number) => Promise<void>,
): Promise<void> {
  for (let n = 0; n < TOTAL; n++) {
    if (n % 50 === 0) {
      await seq.until(() => seq.received.length >= n - WINDOW || seq.gaps > 0)
    }
    await at(n)
    // While Redis is down a publish fails at once (ERR_BACKPLANE): the worker retries it.
    for (;;) {
      try {
        await cluster.publisher.publish(channel, n)
        break
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_BACKPLANE') throw error
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
  }
  // Whatever happened on the way, the last message is the last to arrive.
  await seq.until(() => seq.received.at(-1) === TOTAL - 1)
}

/** A node's `/healthz` status, once it satisfies `wanted` (asked again every 20 ms). */
async function healthOf(origin: string, wanted: (status: number) => boolean): Promise<number> {
  for (;;) {
    const { status } = await fetch(`${origin}/healthz`)
    if (wanted(status)) return status
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const FAILOVER: TransportName[] = ['websocket', 'sse', 'long-polling']

describeWithRedis('a node killed mid-stream (SIGKILL)', () => {
  let cluster: TestCluster

  beforeAll(async () => {
    // The default history (1000, fewer than TOTAL): streams and rings are trimmed on the way.
    cluster = await startCluster({ nodes: 2 })
  })

  afterAll(async () => {
    await cluster?.close()
  })

  it.each(FAILOVER)(
    'over %s, a client with url: [a, b] moves to b and ends with everything, none twice, in order',
    async (transport) => {
      const [a, b] = cluster.nodes as [TestCluster['nodes'][0], TestCluster['nodes'][0]]
      await a.start()
      const client = createLiveClient({
        url: [`${a.origin}/live`, `${b.origin}/live`],
        transports: [transport],
        WebSocket,
        reconnect: { minDelay: 10, maxDelay: 200 },
        disconnectDelay: 0,
      })
      try {
        const seq = sequence(client, `failover-${transport}`)
        const statuses: LiveStatus[] = []
        seq.source.subscribe(() => {
          const { status } = seq.source.getSnapshot()
          if (statuses.at(-1) !== status) statuses.push(status)
        })
        await seq.until(() => seq.source.getSnapshot().status === 'open')
        const started = Date.now()
        let movedAfter = 0
        await publishAll(cluster, `failover-${transport}`, seq, async (n) => {
          if (n !== TOTAL / 4) return
          await a.kill()
          const killedAt = Date.now()
          // Timed from the kill until the client stands open again (on b).
          void seq
            .until(() => seq.source.getSnapshot().status !== 'open')
            .then(() => seq.until(() => seq.source.getSnapshot().status === 'open'))
            .then(() => {
              movedAfter = Date.now() - killedAt
            })
        })
        console.log(
          `failover over ${transport}: ${seq.received.length}/${TOTAL}, gaps ${seq.gaps}, statuses ${statuses.join('>')}, open on b ${movedAfter} ms after the kill, ${Date.now() - started} ms in all`,
        )
        expect(seq.gaps).toBe(0)
        expect(seq.received).toEqual(Array.from({ length: TOTAL }, (_, n) => n))
        expect(statuses).toContain('reconnecting')
        expect(movedAfter).toBeGreaterThan(0)
      } finally {
        client.close()
      }
    },
    60_000,
  )
})

describe.each([true, false])('Redis restarted mid-stream (persistence: %s)', (persistence) => {
  describeWithRedis('two nodes behind the proxy', () => {
    let cluster: TestCluster

    beforeAll(async () => {
      cluster = await startCluster({ nodes: 2, persistence })
    })

    afterAll(async () => {
      await cluster?.close()
    })

    it.each(['websocket', 'sse'] as TransportName[])(
      'over %s: no loss, or the gap flag — never a silent loss',
      async (transport) => {
        const channel = `redis-restart-${transport}`
        const seq = sequence(cluster.client({ transports: [transport] }), channel)
        await seq.until(() => seq.source.getSnapshot().status === 'open')
        const statuses: LiveStatus[] = []
        seq.source.subscribe(() => {
          const { status } = seq.source.getSnapshot()
          if (statuses.at(-1) !== status) statuses.push(status)
        })
        const healthDuringOutage: number[] = []
        await publishAll(cluster, channel, seq, async (n) => {
          if (n !== TOTAL / 2) return
          await cluster.redis.stop()
          // While Redis is down every node says so on its health check, and keeps its clients.
          for (const node of cluster.nodes) {
            healthDuringOutage.push(await healthOf(node.origin, (status) => status === 503))
          }
          expect(seq.source.getSnapshot().status).toBe('open')
          await cluster.redis.restart()
          for (const node of cluster.nodes) await healthOf(node.origin, (status) => status === 200)
        })
        expect(healthDuringOutage).toEqual([503, 503])
        const { received, gaps } = seq
        console.log(
          `Redis restart (persistence ${persistence}) over ${transport}: ${received.length}/${TOTAL} received, gap flag ${gaps > 0}`,
        )
        // Never twice, never out of order, whatever happened.
        expect(received).toEqual([...received].sort((x, y) => x - y))
        expect(new Set(received).size).toBe(received.length)
        if (persistence) {
          // The log survived: nothing lost, no gap, and the client's connection was never cut.
          expect(gaps).toBe(0)
          expect(statuses).not.toContain('reconnecting')
          expect(received).toEqual(Array.from({ length: TOTAL }, (_, n) => n))
        } else {
          // The log was lost with Redis: the client is told, once per hole at least.
          expect(gaps).toBeGreaterThan(0)
          expect(holesIn(received)).toBeLessThanOrEqual(seq.gapFlags)
          // And it goes on: the messages published after the restart reach it.
          expect(received.at(-1)).toBe(TOTAL - 1)
        }
      },
      60_000,
    )
  })
})
