import type { LiveServerError } from '@livedata/server/backplane'
import { describeWithRedis, startRedis, type TestRedis } from '@livedata/test-redis'
import { createClient } from '@redis/client'
import { afterEach, expect, it, vi } from 'vitest'
import { backplanes, hear, prepared } from './backplane-helpers'

const until = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: 15_000, interval: 20 })

const TIMEOUT = 30_000

/** How `promise` settled — 'resolved' or its error's code — or 'pending' after `ms`. */
const settled = (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(
      () => 'resolved',
      (error: LiveServerError) => error.code ?? String(error),
    ),
    new Promise<string>((resolve) => setTimeout(() => resolve('pending'), ms)),
  ])

/** The pid of the redis-server behind `url` (INFO server: process_id). */
async function pidOf(url: string): Promise<number> {
  const admin = createClient({ url })
  admin.on('error', () => {})
  await admin.connect()
  try {
    const info = String(await admin.sendCommand(['INFO', 'server']))
    return Number(/process_id:(\d+)/.exec(info)?.[1])
  } finally {
    await admin.close()
  }
}

describeWithRedis('redisBackplane while Redis cannot be reached or does not answer', () => {
  const nodes = backplanes()
  const servers: TestRedis[] = []
  const stopped: number[] = []
  const server = async () => {
    const started = await startRedis()
    servers.push(started)
    return started
  }
  afterEach(async () => {
    for (const pid of stopped.splice(0)) {
      try {
        process.kill(pid, 'SIGCONT')
      } catch {
        // gone already
      }
    }
    await nodes.close()
    for (const started of servers.splice(0)) await started.close()
  })

  it(
    'a node started while Redis is down answers at once: publish, has and a follow fail with ERR_BACKPLANE, health is down, close() returns',
    async () => {
      const redis = await server()
      await redis.kill()
      const { backplane, host } = nodes.make({ url: redis.url })
      expect(await settled(backplane.publish(prepared('p', 1)), 2000)).toBe('ERR_BACKPLANE')
      expect(await settled(backplane.has('p', '1-0'), 2000)).toBe('ERR_BACKPLANE')
      const heard = hear()
      backplane.follow('p', heard.listener)
      await until(() =>
        expect(heard.failures.map((error) => error.code)).toEqual(['ERR_BACKPLANE']),
      )
      expect(backplane.health().state).toBe('down')
      expect(host.reports.filter((e) => e.message.startsWith('Redis is unreachable'))).toHaveLength(
        1,
      )
      // node-redis goes on reconnecting: never waited for.
      for (let n = 0; n < 3; n++) {
        expect(await settled(backplane.publish(prepared('p', n)), 200)).toBe('ERR_BACKPLANE')
      }
      expect(await settled(backplane.close(), 2000)).toBe('resolved')
    },
    TIMEOUT,
  )

  it(
    'a Redis that stops answering (SIGSTOP): commands fail with ERR_BACKPLANE after commandTimeout, health goes down (reported once); all is well once it answers again',
    async () => {
      const redis = await server()
      const pid = await pidOf(redis.url)
      const { backplane, host } = nodes.make({ url: redis.url, commandTimeout: 300, block: 200 })
      const heard = hear()
      backplane.follow('s', heard.listener)
      await until(() => expect(heard.loads).toHaveLength(1))
      const before = await backplane.publish(prepared('s', 'before'))
      await until(() => expect(heard.messages.map((m) => m.id)).toEqual([before]))
      process.kill(pid, 'SIGSTOP')
      stopped.push(pid)
      const started = Date.now()
      expect(await settled(backplane.publish(prepared('s', 'lost')), 3000)).toBe('ERR_BACKPLANE')
      expect(Date.now() - started).toBeGreaterThanOrEqual(250)
      expect(backplane.health().state).toBe('down')
      // Its socket was dropped and a new one is opening: the next commands fail at once, nothing
      // piles up.
      expect(await settled(backplane.publish(prepared('s', 'again')), 100)).toBe('ERR_BACKPLANE')
      expect(await settled(backplane.has('s', before), 100)).toBe('ERR_BACKPLANE')
      const late = hear()
      backplane.follow('late', late.listener)
      await until(() => expect(late.failures.map((error) => error.code)).toEqual(['ERR_BACKPLANE']))
      const unreachable = () =>
        host.reports.filter((error) => error.message.startsWith('Redis is unreachable'))
      expect(unreachable()).toHaveLength(1)
      process.kill(pid, 'SIGCONT')
      await until(() => expect(backplane.health().state).toBe('up'))
      let after = ''
      await until(async () => {
        after = await backplane.publish(prepared('s', 'after'))
      })
      await until(() => expect(heard.messages.map((m) => m.id)).toContain(after))
      expect(heard.calls).not.toContain('lost')
      expect(unreachable()).toHaveLength(1)
    },
    TIMEOUT,
  )

  it(
    'close() returns while Redis does not answer (SIGSTOP)',
    async () => {
      const redis = await server()
      const pid = await pidOf(redis.url)
      const { backplane } = nodes.make({ url: redis.url, commandTimeout: 300, block: 200 })
      const heard = hear()
      backplane.follow('z', heard.listener)
      await until(() => expect(heard.loads).toHaveLength(1))
      process.kill(pid, 'SIGSTOP')
      stopped.push(pid)
      const publish = backplane.publish(prepared('z', 1)).catch(() => {})
      expect(await settled(backplane.close(), 3000)).toBe('resolved')
      await publish
    },
    TIMEOUT,
  )

  it(
    "with the app's client (offline queue on), commands still fail at once while Redis is down: they go through duplicates without offline queue, closed by close(), never through it",
    async () => {
      const redis = await server()
      const app = createClient({ url: redis.url })
      app.on('error', () => {})
      await app.connect()
      try {
        const { backplane } = nodes.make({ client: app })
        const heard = hear()
        backplane.follow('g', heard.listener)
        await until(() => expect(heard.loads).toHaveLength(1))
        await backplane.publish(prepared('g', 1))
        await redis.kill()
        await until(() => expect(backplane.health().state).toBe('down'))
        const publishes = Array.from({ length: 100 }, (_, n) =>
          settled(backplane.publish(prepared('g', n)), 1000),
        )
        expect(new Set(await Promise.all(publishes))).toEqual(new Set(['ERR_BACKPLANE']))
        expect(await settled(backplane.has('g', '1-0'), 1000)).toBe('ERR_BACKPLANE')
        expect(await settled(backplane.close(), 2000)).toBe('resolved')
        expect(app.isOpen).toBe(true)
      } finally {
        app.destroy()
      }
    },
    TIMEOUT,
  )
})
