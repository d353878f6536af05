import type { LiveServerError } from '@livedata/server/backplane'
import { describeWithRedis, startRedis, type TestRedis } from '@livedata/test-redis'
import { createClient } from '@redis/client'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { backplanes, prepared } from './backplane-helpers'

describeWithRedis('redisBackplane when Redis refuses the writes', () => {
  let redis: TestRedis
  const nodes = backplanes()
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    await nodes.close()
    await redis?.close()
  })

  it('reports a refusal (out of memory) once, not once per publish, and again after a write went through', async () => {
    const { backplane, host } = nodes.make({ url: redis.url })
    await backplane.publish(prepared('c', 0))
    const admin = createClient({ url: redis.url })
    admin.on('error', () => {})
    await admin.connect()
    try {
      // Redis out of memory: every write is refused (OOM), reads still work.
      await admin.sendCommand(['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'])
      await admin.sendCommand(['CONFIG', 'SET', 'maxmemory', '1'])
      const codes = await Promise.all(
        Array.from({ length: 50 }, (_, n) =>
          backplane.publish(prepared('c', n)).then(
            () => 'published',
            (error: LiveServerError) => error.code,
          ),
        ),
      )
      expect(new Set(codes)).toEqual(new Set(['ERR_BACKPLANE']))
      const refused = () => host.reports.filter((error) => error.message.includes('refused'))
      expect(refused()).toHaveLength(1)
      expect(String((refused()[0]?.cause as Error | undefined)?.message)).toMatch(/^OOM/)
      await admin.sendCommand(['CONFIG', 'SET', 'maxmemory', '0'])
      await backplane.publish(prepared('c', 'again'))
      await admin.sendCommand(['CONFIG', 'SET', 'maxmemory', '1'])
      await backplane.publish(prepared('c', 'refused')).catch(() => {})
      expect(refused()).toHaveLength(2)
    } finally {
      await admin.sendCommand(['CONFIG', 'SET', 'maxmemory', '0'])
      await admin.close()
    }
  })
})
