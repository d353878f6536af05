import { createLiveServer } from '@livedata/server'
import type { LiveServerError } from '@livedata/server/backplane'
import { describeWithRedis, startRedis, type TestRedis } from '@livedata/test-redis'
import { createClient } from '@redis/client'
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest'
import { redisBackplane } from '../src/index'
import { backplanes, hooked } from './backplane-helpers'

const until = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: 15_000, interval: 20 })

const TIMEOUT = 30_000

/** The rejection's code of `promise`, or 'resolved: <value>'. */
const outcome = (promise: Promise<unknown>) =>
  promise.then(
    (value) => `resolved: ${String(value)}`,
    (error: LiveServerError) => error.code ?? String(error),
  )

describeWithRedis('idempotency keys in Redis: a lease, then delivered for the window', () => {
  let redis: TestRedis
  let reader: ReturnType<typeof createClient>
  const nodes = backplanes()
  const servers: Array<{ close(): Promise<void> }> = []
  const stopped: number[] = []
  beforeAll(async () => {
    redis = await startRedis()
    reader = createClient({ url: redis.url })
    reader.on('error', () => {})
    await reader.connect()
  })
  afterEach(async () => {
    for (const pid of stopped.splice(0)) process.kill(pid, 'SIGCONT')
    for (const live of servers.splice(0)) await live.close()
    await nodes.close()
  })
  afterAll(async () => {
    await reader?.close()
    await redis?.close()
  })

  /** A server node on the shared Redis; what its listeners took is in `received`. */
  const node = (options: Parameters<typeof redisBackplane>[0]) => {
    const received: unknown[] = []
    const live = createLiveServer({ backplane: redisBackplane(options), onError: () => {} })
    servers.push(live)
    live.on('message', (_channel, data) => void received.push(data))
    const send = async (key: string, data: unknown = key) => {
      const response = await live.fetch(
        new Request('http://localhost/live/chat', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ data }),
        }),
      )
      const body = response.status === 204 ? null : await response.json()
      return { status: response.status, body, received: [...received] }
    }
    return { live, received, send }
  }

  /** The one idempotency key stored under `prefix`: its value and time to live. */
  const stored = async (prefix: string) => {
    const keys = await reader.keys(`${prefix}:key:*`)
    if (keys.length !== 1) return { keys: keys.length }
    const key = keys[0] as string
    return { keys: 1, value: await reader.get(key), ttl: await reader.pTTL(key) }
  }

  it(
    'a claim that timed out (Redis stopped) and that Redis ran late does not make the retry a repeat: in progress (503) until the lease ends, then delivered; never acknowledged undelivered',
    async () => {
      const info = String(await reader.sendCommand(['INFO', 'server']))
      const pid = Number(/process_id:(\d+)/.exec(info)?.[1])
      const lease = 1500
      const { live, send } = node({
        url: redis.url,
        prefix: 'l1',
        commandTimeout: 300,
        idempotencyLease: lease,
      })
      // Connected: Redis answered a command.
      await live.publish('warm', 1)
      process.kill(pid, 'SIGSTOP')
      stopped.push(pid)
      const first = await send('k')
      expect(first.status).toBe(503)
      expect(first.body).toMatchObject({ error: { code: 'ERR_BACKPLANE' } })
      process.kill(pid, 'SIGCONT')
      stopped.splice(stopped.indexOf(pid), 1)
      // Redis ran the late claim: the key is taken, for the lease only.
      await until(async () => expect((await stored('l1')).keys).toBe(1))
      await until(() => expect(live.health().backplane?.state).toBe('up'))
      const busy = await send('k')
      expect(busy.status).toBe(503)
      expect(busy.body).toMatchObject({
        error: { code: 'ERR_BACKPLANE', message: expect.stringContaining('in progress') },
      })
      expect(busy.received).toEqual([])
      // Taken for the lease only, not the window: the retries below get it in time.
      expect(await stored('l1')).toMatchObject({ value: 'p' })
      expect((await stored('l1')).ttl).toBeLessThanOrEqual(lease)
      // The client retries: every answer is a 503 until the lease is over, then it is delivered.
      const answers: Array<{ status: number; received: unknown[] }> = []
      await until(async () => {
        const retry = await send('k')
        answers.push(retry)
        expect(retry.status).toBe(204)
      })
      for (const answer of answers) {
        expect(answer.status === 204 ? answer.received : [], 'a 204 means delivered').toEqual(
          answer.status === 204 ? ['k'] : [],
        )
        expect([204, 503]).toContain(answer.status)
      }
      // Delivered once; a repeat from now on.
      const repeat = await send('k')
      expect(repeat.status).toBe(204)
      expect(repeat.received).toEqual(['k'])
      expect(await stored('l1')).toMatchObject({ keys: 1, value: 'd' })
    },
    TIMEOUT,
  )

  it(
    'a delivered key is a repeat on every node for the whole window, past the lease',
    async () => {
      const lease = 200
      const a = node({ url: redis.url, prefix: 'l2', idempotencyLease: lease })
      const b = node({ url: redis.url, prefix: 'l2', idempotencyLease: lease })
      expect((await a.send('k')).status).toBe(204)
      expect(a.received).toEqual(['k'])
      const key = await stored('l2')
      expect(key).toMatchObject({ keys: 1, value: 'd' })
      expect(key.ttl).toBeGreaterThan(590_000)
      // The lease is long over: still a repeat, on the other node too.
      await until(async () => expect((await stored('l2')).ttl).toBeLessThan((key.ttl ?? 0) - lease))
      const repeat = await b.send('k')
      expect(repeat.status).toBe(204)
      expect(b.received).toEqual([])
      expect(a.received).toEqual(['k'])
    },
    TIMEOUT,
  )

  it('a key taken and not yet delivered answers ERR_BACKPLANE on every node; released it is free, completed a repeat', async () => {
    const a = nodes.make({ url: redis.url, prefix: 'l3' }).backplane
    const b = nodes.make({ url: redis.url, prefix: 'l3' }).backplane
    const store = (n: typeof a) => n.idempotency as NonNullable<typeof a.idempotency>
    expect(await store(a).claim('chat k1')).toBe(true)
    const busy = await Promise.resolve(store(b).claim('chat k1')).catch(
      (error: LiveServerError) => error,
    )
    expect(busy).toMatchObject({
      code: 'ERR_BACKPLANE',
      message: expect.stringContaining('in progress'),
    })
    expect(await outcome(Promise.resolve(store(a).claim('chat k1')))).toBe('ERR_BACKPLANE')
    const taken = await stored('l3')
    expect(taken).toMatchObject({ keys: 1, value: 'p' })
    expect(taken.ttl).toBeLessThanOrEqual(30_000)
    expect(taken.ttl).toBeGreaterThan(20_000)
    await store(a).release('chat k1')
    expect(await store(b).claim('chat k1')).toBe(true)
    await store(b).complete?.('chat k1')
    expect(await store(a).claim('chat k1')).toBe(false)
    expect(await store(b).claim('chat k1')).toBe(false)
    expect((await stored('l3')).ttl).toBeGreaterThan(590_000)
  })

  it('a key that expires between its SET NX and its GET is claimed (the SET once more)', async () => {
    const app = createClient({ url: redis.url })
    app.on('error', () => {})
    await app.connect()
    try {
      let expired = false
      const client = hooked(app, async (args, send) => {
        // The key's lease ends right before the GET: the SET NX found it, the GET does not.
        if (args[0] === 'GET' && args[1]?.startsWith('l4:key:') && !expired) {
          expired = true
          await send(['DEL', args[1]])
        }
        return send(args)
      })
      const { backplane } = nodes.make({ client, prefix: 'l4' })
      const other = nodes.make({ url: redis.url, prefix: 'l4' }).backplane
      expect(await other.idempotency?.claim('chat k')).toBe(true)
      expect(await backplane.idempotency?.claim('chat k')).toBe(true)
      expect(expired).toBe(true)
      expect(await stored('l4')).toMatchObject({ keys: 1, value: 'p' })
    } finally {
      await app.close()
    }
  })

  it('refuses an idempotencyLease that is not a positive integer', () => {
    for (const idempotencyLease of [0, -1, 1.5, Number.NaN]) {
      expect(() => redisBackplane({ url: redis.url, idempotencyLease })).toThrow(
        /idempotencyLease must be a positive integer/,
      )
    }
  })
})
