import { describeWithRedis, startRedis, type TestRedis } from '@livedata/test-redis'
import { createClient } from '@redis/client'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { channelKeys, redisBackplane } from '../src/index'
import { hear, hooked, host, prepared } from './backplane-helpers'

const until = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 10 })

/** Appends ARGV[1] entries ('1', '2', …) to KEYS[1] in one atomic step, trimmed to ARGV[2]. */
const BURST = `for i = 1, tonumber(ARGV[1]) do
  redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], '*', 'd', tostring(i))
end`

describeWithRedis('redisBackplane when streams are trimmed under a follow', () => {
  let redis: TestRedis
  let app: ReturnType<typeof createClient>
  beforeAll(async () => {
    redis = await startRedis()
    app = createClient({ url: redis.url })
    app.on('error', () => {})
    await app.connect()
  })
  afterAll(async () => {
    await app?.close()
    await redis?.close()
  })

  it('a follow of a stream that did not exist, whose first burst was trimmed before its first read, is told lost() rather than skipping it', async () => {
    const stream = channelKeys('a1', 'burst').stream
    let burst = false
    // Just before the loop's first read of the new channel, on its own connection: 1000
    // entries, trimmed to the newest 100 (the history), so 900 are gone before it reads.
    const client = hooked(app, (args, send) => {
      if (args[0] === 'XREAD' && args.includes(stream) && !burst) {
        burst = true
        void send(['EVAL', BURST, '1', stream, '1000', '100'])
      }
      return send(args)
    })
    const backplane = redisBackplane({ client, prefix: 'a1', history: 100 })
    backplane.start(host(100))
    try {
      const other = hear()
      backplane.follow('other', other.listener)
      await until(() => expect(other.loads).toHaveLength(1))
      const heard = hear()
      backplane.follow('burst', heard.listener)
      await until(() => expect(heard.calls).toEqual(['load', 'lost', 'load']))
      expect(burst).toBe(true)
      expect(heard.loads[0]?.ids).toEqual([])
      expect(heard.loads[1]?.json).toEqual(Array.from({ length: 100 }, (_, n) => `${n + 901}`))
      expect(heard.messages).toEqual([])
    } finally {
      await backplane.close()
    }
  })

  it('a follow of a stream that exists but is empty goes on from its last generated id: what comes next is delivered, no false lost()', async () => {
    const stream = channelKeys('a2', 'emptied').stream
    await app.sendCommand(['XADD', stream, '*', 'd', '"old"'])
    await app.sendCommand(['XTRIM', stream, 'MAXLEN', '0'])
    const backplane = redisBackplane({ url: redis.url, prefix: 'a2' })
    backplane.start(host())
    try {
      const heard = hear()
      backplane.follow('emptied', heard.listener)
      await until(() => expect(heard.loads).toHaveLength(1))
      expect(heard.loads[0]?.ids).toEqual([])
      const id = await backplane.publish(prepared('emptied', 'new'))
      await until(() => expect(heard.messages.map((m) => m.id)).toEqual([id]))
      const next = await backplane.publish(prepared('emptied', 'next'))
      await until(() => expect(heard.messages.map((m) => m.id)).toEqual([id, next]))
      expect(heard.calls).toEqual(['load', 'message', 'message'])
    } finally {
      await backplane.close()
    }
  })

  it('a stream deleted and written again while Redis stays up (FLUSHALL) is noticed on its next full batch: its epoch changed, so lost() and a reload', async () => {
    const backplane = redisBackplane({ url: redis.url, prefix: 'd4', history: 10 })
    backplane.start(host(10))
    try {
      const heard = hear()
      backplane.follow('gone', heard.listener)
      await until(() => expect(heard.loads).toHaveLength(1))
      const first = await backplane.publish(prepared('gone', 'first'))
      await until(() => expect(heard.messages.map((m) => m.id)).toEqual([first]))
      await app.sendCommand(['FLUSHALL'])
      // Another node publishes a burst of 10 (the history) on the new stream, with a new epoch.
      const stream = channelKeys('d4', 'gone').stream
      await app.sendCommand([
        'EVAL',
        `redis.call('SET', KEYS[2], 'new-epoch') ${BURST}`,
        '2',
        stream,
        channelKeys('d4', 'gone').epoch,
        '10',
        '10',
      ])
      await until(() => expect(heard.calls).toEqual(['load', 'message', 'lost', 'load']))
      expect(heard.loads[1]?.json).toEqual(Array.from({ length: 10 }, (_, n) => `${n + 1}`))
    } finally {
      await backplane.close()
    }
  })

  it('the stream key alone deleted (its epoch kept) and written again past a full batch: lost(), not a silent skip counted in the old stream', async () => {
    const keys = channelKeys('d5', 'cleared')
    const backplane = redisBackplane({ url: redis.url, prefix: 'd5', history: 10 })
    backplane.start(host(10))
    try {
      // The old stream has had 50 entries (10 kept): the follow's position counts them.
      await backplane.publish(prepared('cleared', 'epoch')) // sets the epoch
      await app.sendCommand(['EVAL', BURST, '1', keys.stream, '49', '10'])
      const heard = hear()
      backplane.follow('cleared', heard.listener)
      await until(() => expect(heard.loads).toHaveLength(1))
      const checked = await backplane.publish(prepared('cleared', 'checked')) // its first read
      await until(() => expect(heard.messages.map((m) => m.id)).toEqual([checked]))
      // An admin clears the stream (or allkeys-lru evicts it); the epoch key stays.
      await app.sendCommand(['DEL', keys.stream])
      const fresh = await backplane.publish(prepared('cleared', 'fresh'))
      await until(() => expect(heard.messages.map((m) => m.id)).toEqual([checked, fresh]))
      // 30 more in one step, trimmed to 10: 20 of them (after the follow's last id) are gone.
      await app.sendCommand(['EVAL', BURST, '1', keys.stream, '30', '10'])
      await until(() =>
        expect(heard.calls.includes('lost') || heard.messages.some((m) => m.json === '30')).toBe(
          true,
        ),
      )
      await until(() => expect(heard.calls).toEqual(['load', 'message', 'message', 'lost', 'load']))
      expect(heard.loads[1]?.json).toEqual(Array.from({ length: 10 }, (_, n) => `${n + 21}`))
    } finally {
      await backplane.close()
    }
  })

  it('keeps up with bursts of history messages: a read takes all a stream holds, so a trim right after it loses nothing', async () => {
    const stream = channelKeys('c4', 'hot').stream
    let armed = false
    let bursts = 0
    // Right after the first batch of the first burst was delivered, before the loop reads again:
    // a second burst of 1000, trimmed to exactly 1000, so every entry of the first one is gone.
    const client = hooked(app, (args, send) => {
      if (args[0] === 'XREAD' && armed && bursts === 1) {
        bursts = 2
        void send(['EVAL', BURST, '1', stream, '1000', '1000'])
      }
      return send(args)
    })
    const backplane = redisBackplane({ client, prefix: 'c4', history: 1000 })
    backplane.start(host(1000))
    try {
      const heard = hear()
      const listener = heard.listener
      heard.listener = {
        ...listener,
        message(message) {
          armed = true
          listener.message(message)
        },
      }
      backplane.follow('hot', heard.listener)
      await until(() => expect(heard.loads).toHaveLength(1))
      bursts = 1
      await app.sendCommand(['EVAL', BURST, '1', stream, '1000', '1000'])
      await until(() => expect(heard.messages.length).toBe(2000))
      expect(bursts).toBe(2)
      expect(heard.calls).not.toContain('lost')
      const json = heard.messages.map((m) => m.json)
      const one = Array.from({ length: 1000 }, (_, n) => `${n + 1}`)
      expect(json).toEqual([...one, ...one])
      const ids = heard.messages.map((m) => m.id)
      expect(new Set(ids).size).toBe(2000)
    } finally {
      await backplane.close()
    }
  })
})
