import { describeWithRedis, startRedis, type TestRedis } from '@livedata/test-redis'
import { createClient } from '@redis/client'
import { afterEach, expect, it, vi } from 'vitest'
import { backplanes, hear, prepared } from './backplane-helpers'

const TIMEOUT = 30_000

describeWithRedis(
  'redisBackplane on duplicates of an app client whose reconnectStrategy gives up',
  () => {
    const nodes = backplanes()
    let redis: TestRedis | undefined
    afterEach(async () => {
      await nodes.close()
      await redis?.close()
    })

    it(
      'Redis restarted: health is not up while commands fail, the connections are opened again on their next use, and publishes and the follow work again',
      async () => {
        redis = await startRedis()
        // Never connected itself: the backplane only duplicates it (and its reconnectStrategy).
        const app = createClient({ url: redis.url, socket: { reconnectStrategy: false } })
        app.on('error', () => {})
        const { backplane, host } = nodes.make({ client: app, commandTimeout: 300, block: 200 })
        const heard = hear()
        backplane.follow('g', heard.listener)
        await vi.waitFor(() => expect(heard.loads).toHaveLength(1), { timeout: 5000 })
        await backplane.publish(prepared('g', 'before'))
        await vi.waitFor(() => expect(heard.messages).toHaveLength(1), { timeout: 5000 })

        await redis.kill()
        await vi.waitFor(() => expect(backplane.health().state).toBe('down'), { timeout: 5000 })
        await expect(backplane.publish(prepared('g', 'while down'))).rejects.toMatchObject({
          code: 'ERR_BACKPLANE',
        })
        await redis.restart()

        // Until a publish goes through, each one that fails finds health not up.
        let after = ''
        await vi.waitFor(
          async () => {
            try {
              after = await backplane.publish(prepared('g', 'after'))
            } catch (error) {
              expect(backplane.health().state).toBe('down')
              throw error
            }
          },
          { timeout: 10_000, interval: 50 },
        )
        // Redis lost its keys (no persistence): the follow is told lost() and loads again.
        await vi.waitFor(
          () =>
            expect([
              ...heard.messages.map((m) => m.id),
              ...heard.loads.flatMap((load) => load.ids),
            ]).toContain(after),
          { timeout: 10_000 },
        )
        await vi.waitFor(() => expect(backplane.health().state).toBe('up'), { timeout: 5000 })
        expect(host.reports.at(-1)?.message).toBe('Redis is reachable again')
      },
      TIMEOUT,
    )

    it(
      'an idle node (nothing followed, nothing published): its connection is opened again after commandTimeout, so health comes back up once Redis does',
      async () => {
        redis = await startRedis()
        const app = createClient({ url: redis.url, socket: { reconnectStrategy: false } })
        app.on('error', () => {})
        const { backplane, host } = nodes.make({ client: app, commandTimeout: 300 })
        // start() connects (and PINGs): the node is up without any use.
        expect(await backplane.has('idle', '1-0')).toBe(false)
        await redis.kill()
        await vi.waitFor(() => expect(backplane.health().state).toBe('down'), { timeout: 5000 })
        await redis.restart()
        await vi.waitFor(() => expect(backplane.health().state).toBe('up'), { timeout: 5000 })
        expect(host.reports.at(-1)?.message).toBe('Redis is reachable again')
      },
      TIMEOUT,
    )
  },
)
