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

  it('keeps the order of the calls: publishes on a new channel made before its epoch is known never fall behind later ones', async () => {
    const sent: string[] = []
    const send = (args: string[]) => {
      if (args[0] === 'RPUSH') sent.push(args[2] as string)
      return client.sendCommand(args)
    }
    const epochs = epochGuard(send)
    // 1,000 appends on a new channel, 200 per tick, none awaited: each after ensure(), as a
    // publish is; the list in Redis must be in the order of the calls.
    const calls: Array<Promise<unknown>> = []
    for (let n = 0; n < 1000; n++) {
      calls.push(
        epochs.ensure('ordered', 'e:ordered').then(() => send(['RPUSH', 'l:ordered', String(n)])),
      )
      if (n % 200 === 199) await new Promise((resolve) => setImmediate(resolve))
    }
    await Promise.all(calls)
    const stored = (await client.sendCommand(['LRANGE', 'l:ordered', '0', '-1'])) as string[]
    expect(stored).toEqual(Array.from({ length: 1000 }, (_, n) => String(n)))
    // One SET NX for them all.
    expect(await client.get('e:ordered')).toMatch(/^\w+$/)
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
