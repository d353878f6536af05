import { LiveServerError } from '@livedata/server/backplane'
import { describeWithRedis, startRedis, type TestRedis } from '@livedata/test-redis'
import { createClient } from '@redis/client'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { channelKeys, redisBackplane } from '../src/index'
import { backplanes, hear, hooked, host, prepared } from './backplane-helpers'

const until = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 10 })

describeWithRedis('redisBackplane against a real redis-server', () => {
  let redis: TestRedis
  let reader: ReturnType<typeof createClient>
  const nodes = backplanes()
  beforeAll(async () => {
    redis = await startRedis()
    reader = createClient({ url: redis.url })
    reader.on('error', () => {})
    await reader.connect()
  })
  afterAll(async () => {
    await nodes.close()
    await reader?.close()
    await redis?.close()
  })

  it('two backplanes on one Redis act as two nodes: a publish on either reaches the follows of both once, in one order, with the same ids', async () => {
    const a = nodes.make({ url: redis.url, prefix: 'n1' }).backplane
    const b = nodes.make({ url: redis.url, prefix: 'n1' }).backplane
    const onA = hear()
    const onB = hear()
    a.follow('room', onA.listener)
    b.follow('room', onB.listener)
    await until(() => expect([onA.loads.length, onB.loads.length]).toEqual([1, 1]))
    const ids: string[] = []
    for (let n = 0; n < 6; n++) {
      ids.push(await (n % 2 ? b : a).publish(prepared('room', { n }, n === 3 ? 'tick' : undefined)))
    }
    await until(() => expect(onA.messages.length + onB.messages.length).toBe(12))
    expect(onA.messages.map((m) => m.id)).toEqual(ids)
    expect(onB.messages.map((m) => m.id)).toEqual(ids)
    expect(onB.messages.map((m) => m.json)).toEqual([0, 1, 2, 3, 4, 5].map((n) => `{"n":${n}}`))
    expect(onB.messages[3]).toMatchObject({ channel: 'room', event: 'tick' })
    expect(onA.calls).toEqual(['load', ...ids.map(() => 'message')])
    // The stream holds them, with an epoch beside it.
    const keys = channelKeys('n1', 'room')
    expect((await reader.xRange(keys.stream, '-', '+'))?.map((e) => e.id)).toEqual(ids)
    expect(await reader.get(keys.epoch)).toMatch(/^\w+$/)
  })

  it("loads the channel's newest host.history messages, oldest first, and whether the stream holds older ones", async () => {
    const { backplane } = nodes.make({ url: redis.url, prefix: 'n2' }, host(3))
    const ids: string[] = []
    for (let n = 0; n < 5; n++) ids.push(await backplane.publish(prepared('tail', n)))
    const short = hear()
    backplane.follow('tail', short.listener)
    const all = hear()
    nodes.make({ url: redis.url, prefix: 'n2' }, host(10)).backplane.follow('tail', all.listener)
    const empty = hear()
    backplane.follow('nothing-yet', empty.listener)
    await until(() => expect([short, all, empty].map((h) => h.loads.length)).toEqual([1, 1, 1]))
    expect(short.loads[0]).toEqual({ ids: ids.slice(2), json: ['2', '3', '4'], more: true })
    expect(all.loads[0]).toEqual({ ids, json: ['0', '1', '2', '3', '4'], more: false })
    expect(empty.loads[0]).toEqual({ ids: [], json: [], more: false })
  })

  it('follows a channel added while the loop is blocked at once, not after the block period', async () => {
    // The loop blocks for a minute: only CLIENT UNBLOCK gets the new channel read in time.
    const { backplane } = nodes.make({ url: redis.url, prefix: 'n3', block: 60_000 })
    const first = hear()
    backplane.follow('first', first.listener)
    await until(() => expect(first.loads).toHaveLength(1))
    await backplane.publish(prepared('first', 1))
    await until(() => expect(first.messages).toHaveLength(1))
    for (const channel of ['second', 'third']) {
      const later = hear()
      backplane.follow(channel, later.listener)
      await until(() => expect(later.loads).toHaveLength(1))
      const id = await backplane.publish(prepared(channel, channel))
      await until(() => expect(later.messages.map((m) => m.id)).toEqual([id]))
    }
  })

  it('stops delivering to a follow once it is unfollowed (and unfollowing twice is harmless)', async () => {
    const { backplane } = nodes.make({ url: redis.url, prefix: 'n4' })
    const gone = hear()
    const stays = hear()
    const unfollow = backplane.follow('x', gone.listener)
    backplane.follow('x', stays.listener)
    await until(() => expect([gone.loads.length, stays.loads.length]).toEqual([1, 1]))
    const before = await backplane.publish(prepared('x', 'before'))
    await until(() => expect(gone.messages.map((m) => m.id)).toEqual([before]))
    unfollow()
    unfollow()
    const after = await backplane.publish(prepared('x', 'after'))
    await until(() => expect(stays.messages.map((m) => m.id)).toEqual([before, after]))
    expect(gone.messages.map((m) => m.id)).toEqual([before])
  })

  it('a second follow of a channel that stands further back gets what it missed, and the first gets nothing twice', async () => {
    const app = createClient({ url: redis.url })
    app.on('error', () => {})
    await app.connect()
    const stream = channelKeys('n9', 'dup').stream
    let loads = 0
    // Right after the second load's XREVRANGE, on the same connection, an entry is appended:
    // the loop reads it for the first follow while the second one loaded just before it.
    const client = hooked(app, (args, send) => {
      const reply = send(args)
      if (args[0] === 'XREVRANGE' && args[1] === stream && ++loads === 2) {
        void send(['XADD', stream, '*', 'd', '"between"'])
      }
      return reply
    })
    try {
      const backplane = redisBackplane({ client, prefix: 'n9' })
      backplane.start(host())
      const first = hear()
      backplane.follow('dup', first.listener)
      await until(() => expect(first.loads).toHaveLength(1))
      const a = await backplane.publish(prepared('dup', 'a'))
      await until(() => expect(first.messages.map((m) => m.id)).toEqual([a]))
      const second = hear()
      backplane.follow('dup', second.listener)
      await until(() => expect(first.messages).toHaveLength(2))
      const between = first.messages[1]?.id as string
      expect(first.messages[1]?.json).toBe('"between"')
      await until(() => expect(second.loads).toHaveLength(1))
      expect(second.loads[0]?.ids).toEqual([a])
      await until(() => expect(second.messages.map((m) => m.id)).toEqual([between]))
      const c = await backplane.publish(prepared('dup', 'c'))
      await until(() => expect(second.messages.map((m) => m.id)).toEqual([between, c]))
      expect(first.messages.map((m) => m.id)).toEqual([a, between, c])
      await backplane.close()
    } finally {
      await app.close()
    }
  })

  it("has() says whether the channel's stream holds an id", async () => {
    const { backplane } = nodes.make({ url: redis.url, prefix: 'n5' })
    const id = await backplane.publish(prepared('h', 1))
    expect(await backplane.has('h', id)).toBe(true)
    expect(await backplane.has('h', '1-0')).toBe(false)
    expect(await backplane.has('other', id)).toBe(false)
  })

  it('shares the idempotency keys of sends between nodes; idempotencyWindow 0 keeps none', async () => {
    const a = nodes.make({ url: redis.url, prefix: 'n6' }).backplane
    const b = nodes.make({ url: redis.url, prefix: 'n6' }).backplane
    expect(await a.idempotency?.claim('chat k1')).toBe(true)
    await a.idempotency?.complete?.('chat k1')
    expect(await b.idempotency?.claim('chat k1')).toBe(false)
    expect(await a.idempotency?.claim('chat k1')).toBe(false)
    await a.idempotency?.release('chat k1')
    expect(await b.idempotency?.claim('chat k1')).toBe(true)
    // Taken for the lease (idempotency-lease.test.ts), delivered for the window.
    await b.idempotency?.complete?.('chat k1')
    const keys = await reader.keys('n6:key:*')
    expect(keys).toHaveLength(1)
    expect(await reader.pTTL(keys[0] as string)).toBeGreaterThan(500_000)
    expect(nodes.make({ url: redis.url, idempotencyWindow: 0 }).backplane.idempotency).toBe(
      undefined,
    )
  })

  it('tells lost() and loads again when the stream was trimmed past what the follow had read', async () => {
    const { backplane } = nodes.make({ url: redis.url, prefix: 'n7', history: 2 })
    const heard = hear()
    backplane.follow('trimmed', heard.listener)
    await until(() => expect(heard.loads).toHaveLength(1))
    const first = await backplane.publish(prepared('trimmed', 0))
    await until(() => expect(heard.messages.map((m) => m.id)).toEqual([first]))
    // 300 entries in one atomic step, trimmed to 2: the follow's last id is gone before it reads.
    await reader.eval(
      "for i = 1, 300 do redis.call('XADD', KEYS[1], 'MAXLEN', '2', '*', 'd', tostring(i)) end",
      { keys: [channelKeys('n7', 'trimmed').stream] },
    )
    await until(() => expect(heard.calls).toEqual(['load', 'message', 'lost', 'load']))
    expect(heard.loads[1]?.json).toEqual(['299', '300'])
    expect(heard.messages).toHaveLength(1)
  })

  it('does not close the client the app gave it, and publishes and follows through it', async () => {
    const app = createClient({ url: redis.url })
    app.on('error', () => {})
    await app.connect()
    try {
      const backplane = redisBackplane({ client: app, prefix: 'n8' })
      backplane.start(host())
      const heard = hear()
      backplane.follow('own', heard.listener)
      await until(() => expect(heard.loads).toHaveLength(1))
      const id = await backplane.publish(prepared('own', 1))
      await until(() => expect(heard.messages.map((m) => m.id)).toEqual([id]))
      // Its own connections are two duplicates of the app's client, closed by close().
      const clients = async () =>
        String(await reader.sendCommand(['CLIENT', 'LIST']))
          .trim()
          .split('\n').length
      const open = await clients()
      await backplane.close()
      await until(async () => expect(await clients()).toBe(open - 2))
      expect(app.isOpen).toBe(true)
      expect(await app.ping()).toBe('PONG')
      const error = await backplane.publish(prepared('own', 2)).catch((caught: unknown) => caught)
      expect((error as LiveServerError).code).toBe('ERR_CLOSED')
    } finally {
      await app.close()
    }
  })

  it('following a channel writes nothing to Redis: a stream that does not exist leaves no key behind, and an existing epoch is only read', async () => {
    const { backplane } = nodes.make({ url: redis.url, prefix: 'c1' })
    const ghost = hear()
    backplane.follow('ghost', ghost.listener)
    await until(() => expect(ghost.loads).toHaveLength(1))
    // A round of the loop over it: a message on another channel it follows arrives.
    const other = hear()
    backplane.follow('other', other.listener)
    await until(() => expect(other.loads).toHaveLength(1))
    expect(await reader.keys('c1:*')).toEqual([])
    const publisher = nodes.make({ url: redis.url, prefix: 'c1' }).backplane
    const id = await publisher.publish(prepared('other', 1))
    await until(() => expect(other.messages.map((m) => m.id)).toEqual([id]))
    expect((await reader.keys('c1:*')).sort()).toEqual(['c1:ch:other', 'c1:epoch:other'])
    const epoch = await reader.get('c1:epoch:other')
    const late = hear()
    backplane.follow('other', late.listener)
    await until(() => expect(late.loads).toHaveLength(1))
    expect(await reader.get('c1:epoch:other')).toBe(epoch)
    expect(await reader.keys('c1:*ghost*')).toEqual([])
  })

  it('a key of the wrong type in the loop is reported once, not at every retry', async () => {
    const { backplane, host } = nodes.make({ url: redis.url, prefix: 'd1' })
    const bad = hear()
    backplane.follow('bad', bad.listener)
    await until(() => expect(bad.loads).toHaveLength(1))
    const failedCalls = async () => {
      const info = String(await reader.sendCommand(['INFO', 'commandstats']))
      let total = 0
      for (const match of info.matchAll(/failed_calls=(\d+)/g)) total += Number(match[1])
      return total
    }
    const before = await failedCalls()
    await reader.set(channelKeys('d1', 'bad').stream, 'not a stream')
    // Reading the set again (a new channel) makes the loop read the bad key.
    backplane.follow('trigger', hear().listener)
    // Four refusals in a row (100, 200, 400 ms of backoff between them).
    await until(async () => expect((await failedCalls()) - before).toBeGreaterThanOrEqual(4))
    const refused = host.reports.filter((error) => error.message.includes('refused a read'))
    expect(refused).toHaveLength(1)
    expect(refused[0]?.code).toBe('ERR_BACKPLANE')
    expect(String((refused[0]?.cause as Error | undefined)?.message)).toMatch('WRONGTYPE')
    await reader.del(channelKeys('d1', 'bad').stream)
  })

  it('refuses options that cannot work, with a sentence', () => {
    const refused = (options: Parameters<typeof redisBackplane>[0]) => {
      try {
        redisBackplane(options)
      } catch (error) {
        expect(error).toBeInstanceOf(LiveServerError)
        expect((error as LiveServerError).code).toBe('ERR_INVALID_OPTIONS')
        return (error as Error).message
      }
      throw new Error('accepted')
    }
    expect(refused({})).toMatch('redisBackplane takes a url or a client')
    expect(refused({ url: redis.url, client: reader })).toMatch('one of the two')
    expect(refused({ url: redis.url, history: 0 })).toMatch('history must be a positive integer')
    expect(refused({ url: redis.url, block: 1.5 })).toMatch('block must be a positive integer')
    expect(refused({ url: redis.url, prefix: 'a b' })).toMatch('prefix')
    expect(refused({ url: redis.url, idempotencyWindow: -1 })).toMatch('idempotencyWindow')
    expect(
      refused({ client: { sendCommand: async () => null } as unknown as typeof reader }),
    ).toMatch('no duplicate()')
  })
})
