import type { LiveServerError } from '@livedata/server/backplane'
import { describeWithRedis, startRedis, type TestRedis } from '@livedata/test-redis'
import { createClient } from '@redis/client'
import { afterEach, expect, it, vi } from 'vitest'
import { channelKeys } from '../src/index'
import { backplanes, hear, prepared } from './backplane-helpers'

const until = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: 15_000, interval: 20 })

/** Restarts take a few hundred ms; the waits allow far more. */
const TIMEOUT = 30_000

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: LiveServerError) => error.code,
  )

describeWithRedis('redisBackplane while Redis is down or restarted', () => {
  const nodes = backplanes()
  const servers: TestRedis[] = []
  const server = async (persistence: boolean) => {
    const started = await startRedis({ persistence })
    servers.push(started)
    return started
  }
  afterEach(async () => {
    await nodes.close()
    for (const started of servers.splice(0)) await started.close()
  })

  it(
    'an idle node (nothing followed, nothing published) says so in health() when Redis goes down, and when it is back',
    async () => {
      const redis = await server(true)
      const { backplane } = nodes.make({ url: redis.url })
      await redis.stop()
      await until(() => expect(backplane.health().state).toBe('down'))
      await redis.restart()
      await until(() => expect(backplane.health().state).toBe('up'))
    },
    TIMEOUT,
  )

  it(
    'while Redis is down: publish and has reject with ERR_BACKPLANE at once, a new follow fails, health is down, and the outage is reported once; its end once too',
    async () => {
      const redis = await server(false)
      const { backplane, host } = nodes.make({ url: redis.url })
      const heard = hear()
      backplane.follow('c', heard.listener)
      await until(() => expect(heard.loads).toHaveLength(1))
      expect(backplane.health().state).toBe('up')
      await redis.kill()
      // No offline queue: each publish fails now rather than waiting for Redis.
      for (let n = 0; n < 3; n++) {
        expect(await codeOf(backplane.publish(prepared('c', n)))).toBe('ERR_BACKPLANE')
      }
      expect(await codeOf(backplane.has('c', '1-0'))).toBe('ERR_BACKPLANE')
      // A malformed id never reaches Redis: false, even now.
      expect(await backplane.has('c', '$')).toBe(false)
      expect(await backplane.has('c', '1-0 junk')).toBe(false)
      const late = hear()
      backplane.follow('late', late.listener)
      await until(() => expect(late.failures.map((error) => error.code)).toEqual(['ERR_BACKPLANE']))
      expect(late.calls).toEqual(['failed'])
      const health = backplane.health()
      expect(health.state).toBe('down')
      expect(health.since).toBeLessThanOrEqual(Date.now())
      const unreachable = () =>
        host.reports.filter((error) => error.message.startsWith('Redis is unreachable'))
      expect(unreachable()).toHaveLength(1)
      expect(unreachable()[0]?.code).toBe('ERR_BACKPLANE')
      await redis.restart()
      await until(() => expect(backplane.health().state).toBe('up'))
      let back = ''
      await until(async () => {
        back = await backplane.publish(prepared('c', 'back'))
      })
      // Redis came back empty (no persistence): the message arrives in a new load or after it.
      await until(() =>
        expect([
          ...heard.loads.flatMap((load) => load.ids),
          ...heard.messages.map((m) => m.id),
        ]).toContain(back),
      )
      expect(unreachable()).toHaveLength(1)
      expect(
        host.reports.filter((error) => error.message === 'Redis is reachable again'),
      ).toHaveLength(1)
    },
    TIMEOUT,
  )

  it(
    'after a restart WITH persistence, follows go on from their last id: no lost(), nothing twice, nothing missed',
    async () => {
      const redis = await server(true)
      const a = nodes.make({ url: redis.url }).backplane
      const b = nodes.make({ url: redis.url }).backplane
      const heard = hear()
      b.follow('p', heard.listener)
      await until(() => expect(heard.loads).toHaveLength(1))
      const before = [await a.publish(prepared('p', 1)), await a.publish(prepared('p', 2))]
      await until(() => expect(heard.messages.map((m) => m.id)).toEqual(before))
      await redis.kill()
      await redis.restart()
      let after = ''
      await until(async () => {
        after = await a.publish(prepared('p', 3))
      })
      const more = await a.publish(prepared('p', 4))
      await until(() => expect(heard.messages.map((m) => m.id)).toEqual([...before, after, more]))
      expect(heard.calls).toEqual(['load', 'message', 'message', 'message', 'message'])
    },
    TIMEOUT,
  )

  it(
    'after a restart WITHOUT persistence, each follow is told lost() and loaded again, then follows the new stream',
    async () => {
      const redis = await server(false)
      const a = nodes.make({ url: redis.url }).backplane
      const heard = hear()
      a.follow('q', heard.listener)
      await until(() => expect(heard.loads).toHaveLength(1))
      const first = await a.publish(prepared('q', 1))
      await until(() => expect(heard.messages.map((m) => m.id)).toEqual([first]))
      await redis.kill()
      await redis.restart()
      await until(() => expect(heard.calls).toEqual(['load', 'message', 'lost', 'load']))
      expect(heard.loads[1]).toEqual({ ids: [], json: [], more: false })
      let next = ''
      await until(async () => {
        next = await a.publish(prepared('q', 2))
      })
      await until(() => expect(heard.messages.map((m) => m.id)).toEqual([first, next]))
      expect(heard.calls).toEqual(['load', 'message', 'lost', 'load', 'message'])
    },
    TIMEOUT,
  )

  it(
    'after a reconnection, a channel whose epoch changed is told lost() and loaded again, even though its last id is still there',
    async () => {
      const redis = await server(false)
      const { backplane } = nodes.make({ url: redis.url })
      const heard = hear()
      backplane.follow('e', heard.listener)
      await until(() => expect(heard.loads).toHaveLength(1))
      const first = await backplane.publish(prepared('e', 1))
      await until(() => expect(heard.messages.map((m) => m.id)).toEqual([first]))
      const admin = createClient({ url: redis.url })
      admin.on('error', () => {})
      await admin.connect()
      try {
        await admin.set(channelKeys('livedata', 'e').epoch, 'another')
        // Drops every other connection (the backplane's): its loop reconnects and checks.
        await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal'])
        await until(() => expect(heard.calls).toEqual(['load', 'message', 'lost', 'load']))
        expect(heard.loads[1]?.ids).toEqual([first])
      } finally {
        await admin.close()
      }
    },
    TIMEOUT,
  )
})
