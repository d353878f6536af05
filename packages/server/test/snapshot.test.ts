import { describe, expect, expectTypeOf, it } from 'vitest'
import { type ChannelSnapshot, createLiveServer, type LiveServerError } from '../src/index'
import { testScope } from './helpers'
import { createSharedLog } from './shared-log'

// live.snapshot(channel): the state and the id it reflects, for an app's REST answer.

const { server } = testScope()

describe('live.snapshot', () => {
  it('on a latest-value channel: the newest message data and id', () => {
    const live = createLiveServer({ channels: { prices: { keep: 'last' } } })
    expect(live.snapshot('prices')).toEqual({ cursor: '0-0' })
    live.publish('prices', { AAPL: 190 })
    const id = live.publish('prices', { AAPL: 191.2 })
    expect(live.snapshot('prices')).toEqual({ data: { AAPL: 191.2 }, cursor: id })
  })

  it('on another channel: its newest id, no data', () => {
    const live = createLiveServer()
    expect(live.snapshot('orders')).toEqual({ cursor: '0-0' })
    live.publish('orders', 1)
    const id = live.publish('orders', 2)
    expect(live.snapshot('orders')).toEqual({ cursor: id })
  })

  it('resuming from its cursor replays exactly what was published after it', async () => {
    const s = await server({ channels: { prices: { keep: 'last' } } })
    s.live.publish('prices', 1)
    const { cursor } = s.live.snapshot('prices')
    const after = s.live.publish('prices', 2)
    const body = (await (
      await fetch(`${s.url}/prices?transport=polling&lastEventId=${cursor}`)
    ).json()) as { messages: Array<{ id: string; data: unknown }> }
    expect(body.messages).toEqual([{ id: after, data: 2 }])
  })

  it('throws typed errors for a bad name and a closed server', async () => {
    const live = createLiveServer()
    expect(() => live.snapshot('no spaces')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_CHANNEL' }),
    )
    await live.close()
    expect(() => live.snapshot('prices')).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }))
  })

  it('with a backplane: resolves once the node loaded the channel from the log', async () => {
    const log = createSharedLog()
    const writer = createLiveServer({ backplane: log.node().backplane })
    const reader = createLiveServer({
      backplane: log.node().backplane,
      channels: { prices: { keep: 'last' } },
    })
    try {
      await writer.publish('prices', 1)
      const id = await writer.publish('prices', 2)
      // The reader never served the channel: it loads it from the log first.
      await expect(reader.snapshot('prices')).resolves.toEqual({ data: 2, cursor: id })
      await expect(reader.snapshot('bad name')).rejects.toMatchObject({
        code: 'ERR_INVALID_CHANNEL',
      } satisfies Partial<LiveServerError>)
    } finally {
      await writer.close()
      await reader.close()
    }
  })

  // Checked by tsc (pnpm typecheck), as test/types.test.ts.
  it('is typed: a snapshot on one node, a promise of one with a backplane', async () => {
    const one = createLiveServer()
    expectTypeOf(one.snapshot<number>('x')).toEqualTypeOf<ChannelSnapshot<number>>()
    const many = createLiveServer({ backplane: createSharedLog().node().backplane })
    const pending = many.snapshot('x')
    expectTypeOf(pending).toEqualTypeOf<Promise<ChannelSnapshot<unknown>>>()
    // Closing the server ends the load this started: its rejection is awaited here, not left.
    await Promise.all([one.close(), many.close(), pending.catch(() => {})])
  })
})
