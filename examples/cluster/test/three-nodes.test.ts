import { createLiveClient } from '@livedata/core'
import { createPublisher } from '@livedata/redis'
import { describeWithRedis, startRedis, type TestRedis } from '@livedata/test-redis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type ClusterNode, startClusterNode } from '../src/node'
import { type RoundRobinProxy, type Routed, startRoundRobinProxy } from '../src/proxy'
import { sequence } from './cluster'
import { readSse } from './sse-reader'

/** The messages of a channel's stream (its own control events left out), as they come. */
async function messagesOn(url: string) {
  const stream = await readSse(url)
  const messages = () =>
    stream.events.filter((event) => event.id !== undefined && !event.event?.startsWith('livedata.'))
  return {
    ids: () => messages().map((event) => event.id),
    data: () => messages().map((event) => event.data),
    /** Resolves once `count` messages came. */
    until: (count: number) => stream.until(() => messages().length >= count),
    close: stream.close,
  }
}

describeWithRedis('three nodes on one Redis', () => {
  let redis: TestRedis
  let nodes: ClusterNode[]

  beforeAll(async () => {
    redis = await startRedis()
    nodes = await Promise.all(
      ['a', 'b', 'c'].map((name) => startClusterNode({ name, redisUrl: redis.url })),
    )
  })

  afterAll(async () => {
    await Promise.all((nodes ?? []).map((node) => node.close()))
    await redis?.close()
  })

  it('delivers a message published on A to the clients of B and C once each, in one order, with the same ids', async () => {
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode]
    const onB = await messagesOn(`http://127.0.0.1:${b.port}/live/prices`)
    const onC = await messagesOn(`http://127.0.0.1:${c.port}/live/prices`)
    const onA = await messagesOn(`http://127.0.0.1:${a.port}/live/prices`)
    const ids: string[] = []
    for (let n = 0; n < 200; n++) ids.push(await a.live.publish('prices', n))
    // A publisher that serves nobody (a worker) reaches them the same way.
    const worker = createPublisher({ url: redis.url })
    ids.push(await worker.publish('prices', 200))
    await worker.close()
    // A last message after them all: anything delivered twice would come before it.
    ids.push(await a.live.publish('prices', 'end'))
    await Promise.all([onA.until(202), onB.until(202), onC.until(202)])
    const sequenceOf = [...Array.from({ length: 201 }, (_, n) => n), 'end']
    for (const stream of [onA, onB, onC]) {
      expect(stream.ids()).toEqual(ids)
      expect(stream.data()).toEqual(sequenceOf)
      stream.close()
    }
  })

  it('delivers a send retried with the same idempotency key on another node once in all', async () => {
    const taken: string[] = []
    for (const node of nodes) {
      node.live.on('message', (channel, data, context) => {
        if (channel === 'orders') taken.push(`${node.name}:${JSON.stringify(data)}:${context.key}`)
      })
    }
    const key = `order-${Date.now()}`
    // The first answer was lost, so the client sends again: this time the balancer picks b.
    for (const node of nodes) {
      const response = await fetch(`http://127.0.0.1:${node.port}/live/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ data: { item: 'AAPL', qty: 1 } }),
      })
      expect(response.status).toBe(204)
    }
    expect(taken).toEqual([`a:{"item":"AAPL","qty":1}:${key}`])
  })

  it('serves long polls whose successive requests alternate between the nodes, losing nothing', async () => {
    const routed: Routed[] = []
    const proxy: RoundRobinProxy = await startRoundRobinProxy({
      targets: nodes.map((node) => ({ name: node.name, origin: `http://127.0.0.1:${node.port}` })),
      onRouted: (entry) => routed.push(entry),
    })
    const client = createLiveClient({
      url: `${proxy.url}/live`,
      transports: ['long-polling'],
      reconnect: { minDelay: 10, maxDelay: 100 },
      disconnectDelay: 0,
    })
    try {
      const ticks = sequence(client, 'ticks')
      await ticks.until(() => ticks.source.getSnapshot().status === 'open')
      const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode]
      const TOTAL = 600
      for (let n = 0; n < TOTAL; n++) {
        // Published on every node in turn, while the polls go round the nodes too.
        await [a, b, c][n % 3]?.live.publish('ticks', n)
        if (n % 20 === 19) await ticks.until(() => ticks.received.length > n - 20)
      }
      await ticks.until(() => ticks.received.length >= TOTAL || ticks.gaps > 0)
      expect(ticks.gaps).toBe(0)
      expect(ticks.received).toEqual(Array.from({ length: TOTAL }, (_, n) => n))
      // Each poll went to the next node: successive polls were served by different nodes.
      const polls = routed.filter((entry) => entry.url.includes('transport=long-polling'))
      const served = polls.map((entry) => entry.node)
      expect(new Set(served)).toEqual(new Set(['a', 'b', 'c']))
      expect(served.every((node, i) => i === 0 || node !== served[i - 1])).toBe(true)
      expect(polls.length).toBeGreaterThan(30)
    } finally {
      client.close()
      await proxy.close()
    }
  })
})
