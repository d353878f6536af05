import { createLiveServer, type LiveServerOptions } from '@livedata/server'
import type { LiveServerError } from '@livedata/server/backplane'
import { describeWithRedis, startRedis, type TestRedis } from '@livedata/test-redis'
import { createClient } from '@redis/client'
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest'
import { redisBackplane } from '../src/index'
import { backplanes, prepared } from './backplane-helpers'

// live.snapshot(channel) on nodes sharing a real redis-server: a channel the node does not
// follow is read once from its stream (backplane.newest, XREVRANGE … COUNT 1), creating no
// replica, so snapshots of made-up names never take the room of real channels (maxChannels).

const until = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: 15_000, interval: 20 })

describeWithRedis('live.snapshot with redisBackplane', () => {
  let redis: TestRedis
  let reader: ReturnType<typeof createClient>
  const nodes = backplanes()
  const servers: Array<{ close(): Promise<void> }> = []
  beforeAll(async () => {
    redis = await startRedis()
    reader = createClient({ url: redis.url })
    reader.on('error', () => {})
    await reader.connect()
  })
  afterEach(async () => {
    for (const live of servers.splice(0)) await live.close()
    await nodes.close()
  })
  afterAll(async () => {
    await reader?.close()
    await redis?.close()
  })

  /** A server node on `url` (the shared Redis by default) under `prefix`. */
  const node = (prefix: string, options: LiveServerOptions = {}, url = redis.url) => {
    const live = createLiveServer({
      onError: () => {},
      ...options,
      backplane: redisBackplane({ url, prefix }),
    })
    servers.push(live)
    return live
  }

  /** How many XREVRANGE commands the shared redis-server ran so far. */
  const xrevrangeCalls = async () => {
    const info = await reader.sendCommand(['INFO', 'commandstats'])
    return Number(/cmdstat_xrevrange:calls=(\d+)/.exec(String(info))?.[1] ?? 0)
  }

  /** The messages a poll of `channel` from `lastEventId` answers, or its status when not 200. */
  const poll = async (live: ReturnType<typeof node>, channel: string, lastEventId: string) => {
    const response = await live.fetch(
      new Request(`http://localhost/live/${channel}?transport=polling&lastEventId=${lastEventId}`),
    )
    if (response.status !== 200) return response.status
    const body = (await response.json()) as { messages: Array<{ id: string; data: unknown }> }
    return body.messages
  }

  it('newest() gives the last entry of a stream (its event too), null for none, and writes nothing', async () => {
    const { backplane } = nodes.make({ url: redis.url, prefix: 'n1' })
    expect(await backplane.newest?.('empty')).toBeNull()
    await backplane.publish(prepared('prices', 1))
    const id = await backplane.publish(prepared('prices', { AAPL: 2 }, 'tick'))
    expect(await backplane.newest?.('prices')).toEqual({
      id,
      channel: 'prices',
      event: 'tick',
      json: '{"AAPL":2}',
    })
    expect((await reader.keys('n1:*')).sort()).toEqual(['n1:ch:prices', 'n1:epoch:prices'])
  })

  it('snapshots of 1,000 made-up names on a node with maxChannels 3 load none of them: a real channel is still served', async () => {
    const live = node('s1', { maxChannels: 3 })
    const names = Array.from({ length: 1000 }, (_, at) => `made-up-${at}`)
    // 50 at a time: past maxSnapshotReads (64) in flight, more are refused (tested below).
    const snapshots: Array<{ cursor: string }> = []
    for (let at = 0; at < names.length; at += 50) {
      const batch = names.slice(at, at + 50)
      snapshots.push(...(await Promise.all(batch.map((name) => live.snapshot(name)))))
    }
    expect(snapshots.every((snapshot) => snapshot.cursor === '0-0')).toBe(true)
    // No replica: nothing followed, nothing counted toward maxChannels, no key written.
    expect(live.stats().channels).toBe(0)
    expect(await reader.keys('s1:*')).toEqual([])
    // A real channel is served (not 503 ERR_BACKPLANE past maxChannels).
    const id = await live.publish('prices', 1)
    expect(await poll(live, 'prices', '0-0')).toEqual([{ id, data: 1 }])
    expect(live.stats().channels).toBe(1)
  })

  it('1,000 snapshots at once make at most 64 reads of Redis: one per name in flight, the rest refused at once with ERR_BACKPLANE (busy)', async () => {
    const live = node('s4')
    const id = await live.publish('prices', 1)
    const before = await xrevrangeCalls()
    // 100 snapshots of one name share one read.
    const same = await Promise.all(Array.from({ length: 100 }, () => live.snapshot('prices')))
    expect(same).toEqual(Array(100).fill({ cursor: id }))
    expect((await xrevrangeCalls()) - before).toBe(1)
    // 1,000 names at once: 64 are read, the others refused without reaching Redis.
    const names = Array.from({ length: 1000 }, (_, at) => `made-up-${at}`)
    const settled = await Promise.allSettled(names.map((name) => live.snapshot(name)))
    const read = settled.filter((result) => result.status === 'fulfilled')
    const refused = settled.flatMap((result) =>
      result.status === 'rejected' ? [result.reason] : [],
    )
    expect(read).toHaveLength(64)
    expect(refused).toHaveLength(936)
    for (const reason of refused) {
      expect(reason).toMatchObject({
        code: 'ERR_BACKPLANE',
        message: expect.stringContaining('busy, with 64 reads in flight'),
      } satisfies Partial<LiveServerError>)
    }
    expect((await xrevrangeCalls()) - before).toBe(1 + 64)
    // The reads ended: there is room again.
    expect(await live.snapshot('made-up-999')).toEqual({ cursor: '0-0' })
    expect(live.stats().channels).toBe(0)
  })

  it('a snapshot read from the stream is the one a node following the channel gives, and streaming from its cursor loses nothing and repeats nothing', async () => {
    const channels = { prices: { keep: 'last' as const } }
    const writer = node('s2', { channels })
    const following = node('s2', { channels })
    const fresh = node('s2', { channels })
    const first = await writer.publish('prices', 1)
    const a = await writer.publish('orders', 'a')
    const price = await writer.publish('prices', { AAPL: 2 })
    const order = await writer.publish('orders', 'b')
    // `following` loads both channels, as a subscribe does; `fresh` follows none.
    expect(await poll(following, 'prices', first)).toEqual([{ id: price, data: { AAPL: 2 } }])
    expect(await poll(following, 'orders', a)).toEqual([{ id: order, data: 'b' }])
    expect(following.stats().channels).toBe(2)
    const loaded = await following.snapshot('prices')
    expect(loaded).toEqual({ data: { AAPL: 2 }, cursor: price })
    expect(await fresh.snapshot('prices')).toEqual(loaded)
    expect(await fresh.snapshot('orders')).toEqual(await following.snapshot('orders'))
    expect(await fresh.snapshot('orders')).toEqual({ cursor: order })
    expect(fresh.stats().channels).toBe(0)
    // A client loads the snapshot of `fresh`, then streams from its cursor there.
    const after = await writer.publish('prices', { AAPL: 3 })
    await until(async () =>
      expect(await poll(fresh, 'prices', loaded.cursor)).toEqual([
        { id: after, data: { AAPL: 3 } },
      ]),
    )
  })

  it('rejects with ERR_BACKPLANE while Redis is unreachable, loading nothing', async () => {
    const own = await startRedis()
    try {
      const live = node('s3', { maxChannels: 3 }, own.url)
      await own.stop()
      await until(() => expect(live.health().ok).toBe(false))
      for (const name of ['a', 'b', 'c', 'd']) {
        await expect(live.snapshot(name)).rejects.toMatchObject({
          code: 'ERR_BACKPLANE',
          message: expect.stringContaining(`newest message of "${name}"`),
        } satisfies Partial<LiveServerError>)
      }
      expect(live.stats().channels).toBe(0)
    } finally {
      await own.close()
    }
  })
})
