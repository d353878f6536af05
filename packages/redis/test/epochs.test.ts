import { describeWithRedis, startRedis, type TestRedis } from '@livedata/test-redis'
import { createClient } from '@redis/client'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { epochGuard } from '../src/epochs'

describeWithRedis('epochGuard', () => {
  let redis: TestRedis
  let client: ReturnType<typeof createClient>
  beforeAll(async () => {
    redis = await startRedis()
    client = createClient({ url: redis.url })
    client.on('error', () => {})
    await client.connect()
  })
  afterAll(async () => {
    await client?.close()
    await redis?.close()
  })

  it('remembers a bounded number of channels, the least recently used forgotten first', async () => {
    const sets: string[] = []
    const send = (args: string[]) => {
      if (args[0] === 'SET') sets.push(args[1] as string)
      return client.sendCommand(args)
    }
    const epochs = epochGuard(send, 3)
    for (const channel of ['a', 'b', 'c', 'a', 'd']) await epochs.ensure(channel, `e:${channel}`)
    // 'a' was used again before 'd' came: 'b' is the one forgotten.
    expect(sets).toEqual(['e:a', 'e:b', 'e:c', 'e:d'])
    await epochs.ensure('a', 'e:a')
    await epochs.ensure('c', 'e:c')
    await epochs.ensure('d', 'e:d')
    expect(sets).toHaveLength(4)
    await epochs.ensure('b', 'e:b')
    expect(sets).toEqual(['e:a', 'e:b', 'e:c', 'e:d', 'e:b'])
    // The epochs themselves are set once (NX): a second SET changes nothing.
    expect(await client.get('e:b')).toMatch(/^\w+$/)
  })

  it('holds 10,000 channels by default', async () => {
    const sets: string[] = []
    const epochs = epochGuard(async (args) => {
      if (args[0] === 'SET') sets.push(args[1] as string)
      return client.sendCommand(args)
    })
    for (let n = 0; n <= 10_000; n++) await epochs.ensure(`c${n}`, `big:${n}`)
    await epochs.ensure('c10000', 'big:10000')
    await epochs.ensure('c1', 'big:1')
    expect(sets).toHaveLength(10_001)
    await epochs.ensure('c0', 'big:0')
    expect(sets).toHaveLength(10_002)
  })
})
