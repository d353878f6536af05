import { describeWithRedis, startRedis, type TestRedis } from '@livedata/test-redis'
import { afterEach, expect, it, vi } from 'vitest'
import { backplanes, hear, prepared } from './backplane-helpers'
import { type StallingProxy, startStallingProxy } from './stalling-proxy'

const TIMEOUT = 30_000
const COMMAND_TIMEOUT = 300

describeWithRedis(
  'redisBackplane when its sockets stop carrying anything while new ones work',
  () => {
    const nodes = backplanes()
    let redis: TestRedis | undefined
    let proxy: StallingProxy | undefined
    afterEach(async () => {
      await nodes.close()
      await proxy?.close()
      await redis?.close()
    })

    it(
      'a command unanswered for commandTimeout drops its socket and opens a new one: publishes and the follow work again within a few commandTimeouts',
      async () => {
        redis = await startRedis()
        proxy = await startStallingProxy(redis.port)
        const { backplane } = nodes.make({
          url: proxy.url,
          commandTimeout: COMMAND_TIMEOUT,
          block: 200,
        })
        const heard = hear()
        backplane.follow('w', heard.listener)
        await vi.waitFor(() => expect(heard.loads).toHaveLength(1), { timeout: 5000 })
        const before = await backplane.publish(prepared('w', 'before'))
        await vi.waitFor(() => expect(heard.messages.map((m) => m.id)).toEqual([before]), {
          timeout: 5000,
        })
        const opened = proxy.connections()

        proxy.stall()
        const stalled = Date.now()
        await expect(backplane.publish(prepared('w', 'unanswered'))).rejects.toMatchObject({
          code: 'ERR_BACKPLANE',
        })
        expect(backplane.health().state).toBe('down')

        // Each try fails at once or succeeds: without a new socket, every one would fail until
        // the kernel gave up on the stalled one (minutes).
        let after = ''
        await vi.waitFor(
          async () => {
            after = await backplane.publish(prepared('w', 'after'))
          },
          { timeout: 5 * COMMAND_TIMEOUT, interval: 20 },
        )
        expect(Date.now() - stalled).toBeLessThan(6 * COMMAND_TIMEOUT)
        expect(proxy.connections()).toBeGreaterThan(opened)
        // The follower's blocking read was stalled too: it reads on a new socket as well.
        await vi.waitFor(() => expect(heard.messages.map((m) => m.id)).toContain(after), {
          timeout: 5 * (200 + COMMAND_TIMEOUT),
        })
        await vi.waitFor(() => expect(backplane.health().state).toBe('up'), { timeout: 5000 })
        expect(heard.calls).not.toContain('lost')
      },
      TIMEOUT,
    )
  },
)
