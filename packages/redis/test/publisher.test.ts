import { LiveServerError } from '@livedata/server'
import { describeWithRedis, startRedis, type TestRedis } from '@livedata/test-redis'
import { createClient } from '@redis/client'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { channelKeys, createPublisher, type LivePublisher } from '../src/index'

describeWithRedis('createPublisher against a real redis-server', () => {
  let redis: TestRedis
  let reader: ReturnType<typeof createClient>
  const publishers: LivePublisher[] = []
  const publisher = (options: Parameters<typeof createPublisher>[0]) => {
    const made = createPublisher(options)
    publishers.push(made)
    return made
  }
  beforeAll(async () => {
    redis = await startRedis()
    reader = createClient({ url: redis.url })
    reader.on('error', () => {})
    await reader.connect()
  })
  afterAll(async () => {
    for (const made of publishers) await made.close()
    await reader?.close()
    await redis?.close()
  })

  it("appends each message to its channel's stream: the stream's id is the message id, the event and JSON in its fields, one epoch", async () => {
    const live = publisher({ url: redis.url, prefix: 'p1' })
    const a = await live.publish('prices', { AAPL: 191.2 })
    const b = await live.publish('prices', [1, 2], { event: 'tick' })
    expect(a).toMatch(/^\d+-\d+$/)
    const keys = channelKeys('p1', 'prices')
    const entries = await reader.xRange(keys.stream, '-', '+')
    expect(entries?.map((entry) => entry.id)).toEqual([a, b])
    expect(entries?.map((entry) => ({ ...entry.message }))).toEqual([
      { d: '{"AAPL":191.2}' },
      { d: '[1,2]', e: 'tick' },
    ])
    const epoch = await reader.get(keys.epoch)
    expect(epoch).toMatch(/^\w+$/)
    // A second publisher leaves the epoch as it is: the stream was not lost.
    await publisher({ url: redis.url, prefix: 'p1' }).publish('prices', 3)
    expect(await reader.get(keys.epoch)).toBe(epoch)
  })

  it('holds a message to the rules live.publish holds it to, before anything reaches Redis', async () => {
    const live = publisher({ url: redis.url, prefix: 'p2', maxPayload: 100 })
    const refusals = await Promise.all([
      live.publish('a b', 1).catch((error: LiveServerError) => error.code),
      live
        .publish('x', 1, { event: 'livedata.reserved' })
        .catch((error: LiveServerError) => error.code),
      live.publish('x', () => {}).catch((error: LiveServerError) => error.code),
      live.publish('x', 'y'.repeat(200)).catch((error: LiveServerError) => error.code),
    ])
    expect(refusals).toEqual([
      'ERR_INVALID_CHANNEL',
      'ERR_INVALID_EVENT',
      'ERR_INVALID_PAYLOAD',
      'ERR_PAYLOAD_TOO_LARGE',
    ])
    expect(await reader.keys('p2:*')).toEqual([])
  })

  it('trims each stream to about history', async () => {
    const live = publisher({ url: redis.url, prefix: 'p3', history: 10 })
    for (let n = 0; n < 400; n++) await live.publish('busy', n)
    const length = await reader.xLen(channelKeys('p3', 'busy').stream)
    // MAXLEN ~: Redis trims whole blocks (100 entries by default), never below history.
    expect(length).toBeGreaterThanOrEqual(10)
    expect(length).toBeLessThan(400)
  })

  it('rejects with ERR_BACKPLANE while Redis is down, at once, and publishes again once it is back', async () => {
    const down = await startRedis()
    try {
      const live = publisher({ url: down.url, prefix: 'p4' })
      await live.publish('x', 1)
      await down.kill()
      const error = await live.publish('x', 2).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(LiveServerError)
      expect((error as LiveServerError).code).toBe('ERR_BACKPLANE')
      await down.restart()
      // The client reconnects on its own: the next publishes go through.
      let id: string | null = null
      for (let tries = 0; id === null && tries < 100; tries++) {
        id = await live.publish('x', 3).catch(() => null)
        if (id === null) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(id).toMatch(/^\d+-\d+$/)
    } finally {
      await down.close()
    }
  })

  it('rejects with ERR_BACKPLANE, never hangs, when Redis is down from the start', async () => {
    const down = await startRedis()
    await down.stop()
    const early = createPublisher({ url: down.url, commandTimeout: 1000 })
    try {
      const failed = await early.publish('prices', 1).then(
        () => null,
        (error: LiveServerError) => error.code,
      )
      expect(failed).toBe('ERR_BACKPLANE')
      await down.restart()
      // node-redis reconnects in the background: publishing works again once it has.
      let id: string | null = null
      while (id === null) {
        id = await early.publish('prices', 2).catch(() => null)
        if (id === null) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(id).toMatch(/^\d+-\d+$/)
    } finally {
      await early.close()
      await down.close()
    }
  })

  it('refuses options that cannot work, with a sentence', () => {
    expect(() => createPublisher({})).toThrow('createPublisher takes a url or a client')
    expect(() => createPublisher({ url: 'redis://x', history: 0 })).toThrow(
      'history must be a positive integer',
    )
    expect(() => createPublisher({ url: 'redis://x', prefix: 'a b' })).toThrow('prefix')
  })
})
