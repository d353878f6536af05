import { describe, expect, it } from 'vitest'
import { Channel } from '../src/channel'
import { createLiveServer, LiveServerError, type LiveServerOptions } from '../src/index'
import { eventsOf, idsOf, openStream, type Started, testScope } from './helpers'
import { createSharedLog } from './shared-log'

// Latest-value channels (`channels: { prices: { keep: 'last' } }`) on the wire, every
// transport: a fresh subscriber is given the newest message at once, with its id. The real
// client on every transport is in packages/core/test/keep-last.test.ts.

const { server, socket, defer } = testScope()

interface PollAnswer {
  cursor: string
  gap: boolean
  messages: Array<{ id: string; data: unknown }>
}

/** A server whose `prices` keeps its latest value and `news` does not; both hold 1, 2, 3. */
async function ticker(options = {}): Promise<{ s: Started; last: string; newsLast: string }> {
  const s = await server({ channels: { prices: { keep: 'last' } }, ...options })
  let last = ''
  let newsLast = ''
  for (const n of [1, 2, 3]) {
    last = s.live.publish('prices', { n })
    newsLast = s.live.publish('news', { n })
  }
  return { s, last, newsLast }
}

describe('a latest-value channel gives a fresh subscriber its newest message at once', () => {
  it('SSE: the newest message with its id, no cursor event, then live', async () => {
    const { s, last } = await ticker()
    const sse = await openStream(`${s.url}/prices`)
    defer(() => sse.close())
    const text = await sse.until((t) => idsOf(t).length === 1)
    expect(idsOf(text)).toEqual([last])
    expect(eventsOf(text).map((event) => event.data)).toContain('{"n":3}')
    expect(text).not.toContain('livedata.cursor')
    s.live.publish('prices', { n: 4 })
    expect(idsOf(await sse.until((t) => idsOf(t).length === 2))).toHaveLength(2)
  })

  it('SSE on a channel without keep: a cursor, no message (unchanged)', async () => {
    const { s, newsLast } = await ticker()
    const sse = await openStream(`${s.url}/news`)
    defer(() => sse.close())
    const text = await sse.until((t) => t.includes('livedata.cursor'))
    expect(text).toContain(`id: ${newsLast}\nevent: livedata.cursor`)
    expect(text).not.toContain('{"n":3}')
  })

  it('WebSocket: subscribed without a cursor, then the newest message', async () => {
    const { s, last } = await ticker()
    const ws = await socket(s)
    ws.send({ type: 'subscribe', channel: 'prices', lastEventId: null })
    const frames = await ws.until((f) => f.some((frame) => frame.type === 'message'))
    expect(frames[0]).toEqual({ type: 'subscribed', channel: 'prices' })
    expect(frames[1]).toMatchObject({
      type: 'message',
      channel: 'prices',
      id: last,
      data: { n: 3 },
    })
  })

  it.each(['long-polling', 'polling'])('%s answers at once with the newest message', async (t) => {
    const { s, last } = await ticker()
    const response = await fetch(`${s.url}/prices?transport=${t}`)
    const body = (await response.json()) as PollAnswer
    expect(body.messages).toEqual([{ id: last, data: { n: 3 } }])
    expect(body.cursor).toBe(last)
    expect(body.gap).toBe(false)
  })

  it('the multiplexed form: the newest message under its channel, none for the other', async () => {
    const { s, last, newsLast } = await ticker()
    const response = await fetch(`${s.url}?transport=polling&c=prices&c=news`)
    const body = (await response.json()) as { channels: Record<string, PollAnswer> }
    expect(body.channels.prices?.messages).toEqual([{ id: last, data: { n: 3 } }])
    expect(body.channels.news).toEqual({ cursor: newsLast, gap: false, messages: [] })
  })

  it('iframe: the document posts the newest message', async () => {
    const { s, last } = await ticker()
    const controller = new AbortController()
    defer(() => controller.abort())
    const origin = encodeURIComponent(s.origin)
    const response = await fetch(
      `${s.url}/prices?transport=iframe&origin=${origin}&nonce=abcdefgh12`,
      {
        signal: controller.signal,
      },
    )
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    while (!text.includes('"t":"m"')) {
      const { value } = await reader.read()
      text += new TextDecoder().decode(value)
    }
    expect(text).toContain(`"id":"${last}"`)
    expect(text).toContain('"data":{"n":3}')
  })

  it('a resuming subscriber is unchanged: only what came after its id', async () => {
    const { s, last } = await ticker()
    const atLast = (await (
      await fetch(`${s.url}/prices?transport=polling&lastEventId=${last}`)
    ).json()) as PollAnswer
    expect(atLast.messages).toEqual([])
    const next = s.live.publish('prices', { n: 4 })
    const after = (await (
      await fetch(`${s.url}/prices?transport=polling&lastEventId=${last}`)
    ).json()) as PollAnswer
    expect(after.messages).toEqual([{ id: next, data: { n: 4 } }])
  })

  it('a backlog asked for still gives the last n', async () => {
    const { s } = await ticker()
    const body = (await (
      await fetch(`${s.url}/prices?transport=polling&replay=2`)
    ).json()) as PollAnswer
    expect(body.messages.map((m) => m.data)).toEqual([{ n: 2 }, { n: 3 }])
  })

  it('a latest-value channel with no message yet tells its cursor, as any channel', async () => {
    const s = await server({ channels: { prices: { keep: 'last' } } })
    const body = (await (await fetch(`${s.url}/prices?transport=polling`)).json()) as PollAnswer
    expect(body).toMatchObject({ cursor: '0-0', messages: [] })
  })

  it('keeps the newest message even with history: 0', async () => {
    const { s, last } = await ticker({ history: 0 })
    const body = (await (await fetch(`${s.url}/prices?transport=polling`)).json()) as PollAnswer
    expect(body.messages).toEqual([{ id: last, data: { n: 3 } }])
  })

  it('a function of the name picks the channels', async () => {
    const s = await server({
      channels: (name: string) => (name.startsWith('t:') ? { keep: 'last' } : undefined),
    })
    const id = s.live.publish('t:eur', 1.08)
    s.live.publish('other', 1)
    const kept = (await (await fetch(`${s.url}/t:eur?transport=polling`)).json()) as PollAnswer
    const plain = (await (await fetch(`${s.url}/other?transport=polling`)).json()) as PollAnswer
    expect(kept.messages).toEqual([{ id, data: 1.08 }])
    expect(plain.messages).toEqual([])
  })

  it('keeps the newest message of any event name, not one per event: after a then b, a fresh subscriber and a snapshot get b only', async () => {
    const s = await server({ channels: { prices: { keep: 'last' } } })
    s.live.publish('prices', { n: 1 }, { event: 'a' })
    const b = s.live.publish('prices', { n: 2 }, { event: 'b' })
    const body = (await (await fetch(`${s.url}/prices?transport=polling`)).json()) as PollAnswer
    expect(body.messages).toEqual([{ id: b, event: 'b', data: { n: 2 } }])
    expect(s.live.snapshot('prices')).toEqual({ data: { n: 2 }, cursor: b })
    // The same with a backplane, on a node that reads the log's newest without following it.
    const log = createSharedLog()
    const channels = { prices: { keep: 'last' as const } }
    const writer = createLiveServer({
      onError: () => {},
      channels,
      backplane: log.node().backplane,
    })
    const reader = createLiveServer({
      onError: () => {},
      channels,
      backplane: log.node().backplane,
    })
    defer(() => Promise.all([writer.close(), reader.close()]).then(() => {}))
    await writer.publish('prices', { n: 1 }, { event: 'a' })
    const shared = await writer.publish('prices', { n: 2 }, { event: 'b' })
    expect(await reader.snapshot('prices')).toEqual({ data: { n: 2 }, cursor: shared })
    expect(reader.stats().channels).toBe(0)
  })

  it('with a backplane, a node serves the newest message of the shared log', async () => {
    const log = createSharedLog()
    // The helper's options are one node's; the backplane rides along to createLiveServer.
    const options = { channels: { prices: { keep: 'last' } }, backplane: log.node().backplane }
    const s = await server(options as LiveServerOptions)
    const live = s.live as unknown as { publish(c: string, d: unknown): Promise<string> }
    await live.publish('prices', 1)
    const id = await live.publish('prices', 2)
    const body = (await (await fetch(`${s.url}/prices?transport=polling`)).json()) as PollAnswer
    expect(body.messages).toEqual([{ id, data: 2 }])
  })
})

describe('Channel.replay on a latest-value channel', () => {
  const message = (id: string) => ({ id, channel: 'c', event: undefined, json: '1' })

  it('a fresh subscriber is owed the newest message and no cursor to tell', () => {
    const channel = new Channel('c', 10, undefined, true)
    channel.publish(message('1-0'))
    channel.publish(message('2-0'))
    const replay = channel.replay({ lastEventId: null })
    expect(replay.messages.map((m) => m.id)).toEqual(['2-0'])
    expect(replay).toMatchObject({ cursor: '2-0', tellCursor: false, gap: false })
    expect(channel.replay({ lastEventId: '2-0' }).messages).toEqual([])
  })
})

describe('the channels option is checked', () => {
  const refused = (channels: unknown) => {
    try {
      createLiveServer({ channels: channels as never })
    } catch (error) {
      expect(error).toBeInstanceOf(LiveServerError)
      expect((error as LiveServerError).code).toBe('ERR_INVALID_OPTIONS')
      return (error as LiveServerError).message
    }
    throw new Error('accepted')
  }

  it('refuses bad values with a sentence naming them', () => {
    expect(refused({ prices: { keep: 'first' } })).toContain(`channels.prices keep must be 'last'`)
    expect(refused({ prices: { kep: 'last' } })).toContain('unknown options kep')
    expect(refused({ 'bad name': { keep: 'last' } })).toContain('not a channel name')
    expect(refused({ prices: 'last' })).toContain('must be an object')
    expect(refused([])).toContain('channels must be an object')
    expect(refused(42)).toContain('channels must be an object')
  })

  it("reports a function's bad answer, or its throw, and gives the channel the defaults", async () => {
    const s = await server({
      channels: (name: string) => {
        if (name === 'boom') throw new Error('no')
        return { keep: 'always' } as never
      },
    })
    s.live.publish('boom', 1)
    s.live.publish('odd', 1)
    const body = (await (await fetch(`${s.url}/odd?transport=polling`)).json()) as PollAnswer
    expect(body.messages).toEqual([])
    expect(s.reports.map((r) => [r.error.code, r.context.channel, r.context.client])).toEqual([
      ['ERR_INVALID_OPTIONS', 'boom', false],
      ['ERR_INVALID_OPTIONS', 'odd', false],
    ])
    expect(s.reports[1]?.error.message).toContain(`keep must be 'last'`)
  })
})
