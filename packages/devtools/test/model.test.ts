import { createLiveClient, type LiveClient, type LiveSource } from '@livedata/core'
import { startLiveServer, type TestLiveServer } from '@livedata/test-server'
import { afterEach, describe, expect, it } from 'vitest'
import { createDevtoolsModel, createReport, type DevtoolsModel, describeEvent } from '../src/index'

// The panel's model (sources' states, bounded timeline, filter, JSON report) fed by a real
// client against a real @livedata/server on loopback, in Node: no DOM, no mocked network.

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function server(
  options: Parameters<typeof startLiveServer>[0] = {},
): Promise<TestLiveServer> {
  const started = await startLiveServer(options)
  cleanups.push(() => started.close())
  return started
}

function client(url: string): LiveClient {
  const created = createLiveClient({
    url,
    transports: ['sse'],
    reconnect: { minDelay: 10, maxDelay: 50 },
    disconnectDelay: 0,
  })
  cleanups.push(() => created.close())
  return created
}

function inspected(c: LiveClient, limit?: number): DevtoolsModel {
  const model = createDevtoolsModel(limit === undefined ? {} : { limit })
  cleanups.push(c.inspect(model.push))
  return model
}

function open<T>(source: LiveSource<T>): Promise<void> {
  cleanups.push(source.subscribe(() => {}))
  return until(() => source.getSnapshot().status === 'open')
}

/** Resolves once `predicate` holds, checking after each turn of the event loop. */
function until(predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (predicate() ? resolve() : setImmediate(check))
    check()
  })
}

describe('the devtools model', () => {
  it("holds each source's live state: status, transport, cursor, tab role", async () => {
    const s = await server()
    const c = client(s.url)
    const model = inspected(c)
    const prices = c.source('prices')
    await open(prices)
    const id = s.live.publish('prices', { AAPL: 1 })
    await until(() => model.states.sources[0]?.lastEventId === id)
    expect(model.states.sources).toEqual([
      expect.objectContaining({
        channel: 'prices',
        status: 'open',
        transport: 'sse',
        attempt: 0,
        lastEventId: id,
        errorCode: null,
      }),
    ])
    expect(model.states.tab).toBe('solo')
    const lines = model.visible().map(({ event }) => `${event.type} ${describeEvent(event)}`)
    expect(lines).toEqual(
      expect.arrayContaining(['try sse', 'state open on sse', `cursor lastEventId ${id}`]),
    )
    expect(lines.indexOf('try sse')).toBeLessThan(lines.indexOf('state open on sse'))
  })

  it('keeps the last `limit` events of a burst and counts the dropped ones', async () => {
    const s = await server()
    const c = client(s.url)
    const model = inspected(c, 10)
    const chat = c.source('chat')
    await open(chat)
    let last = ''
    for (let n = 0; n < 200; n++) last = s.live.publish('chat', n)
    await until(() => model.states.sources[0]?.lastEventId === last)
    const { entries, dropped } = model.timeline
    expect(entries).toHaveLength(10)
    expect(dropped).toBeGreaterThanOrEqual(190)
    expect(entries.at(-1)?.event).toMatchObject({ type: 'cursor', lastEventId: last })
    // Numbered in order, with no hole among those kept.
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => entries[0]!.seq + i))
    expect(entries[0]!.seq).toBe(dropped + 1)
  })

  it('filters the timeline by event type and by channel text', async () => {
    const s = await server()
    const c = client(s.url)
    const model = inspected(c)
    await Promise.all([open(c.source('prices')), open(c.source('news'))])
    s.live.publish('news', 'hello')
    await until(() =>
      model.timeline.entries.some(
        ({ event }) =>
          event.type === 'cursor' && event.lastEventId !== null && event.channel === 'news',
      ),
    )

    model.setFilter({ types: new Set(['state']) })
    const states = model.visible()
    expect(states.length).toBeGreaterThan(0)
    expect(states.every(({ event }) => event.type === 'state')).toBe(true)

    model.setFilter({ channel: 'NEW' })
    const news = model.visible()
    expect(news.length).toBeGreaterThan(0)
    expect(news.every(({ event }) => event.type !== 'tab' && event.channel === 'news')).toBe(true)

    model.setFilter({})
    expect(model.visible()).toHaveLength(model.timeline.entries.length)
    expect(model.visible().some(({ event }) => event.type === 'tab')).toBe(true)
  })

  it('counts the sends waiting for an answer, and reports a refused one with its error code', async () => {
    const s = await server({ authorize: ({ action }) => action !== 'send' })
    const c = client(s.url)
    const model = inspected(c)
    const chat = c.source('chat')
    await open(chat)
    const refused = chat.send('x').catch((error: unknown) => error)
    await until(() => model.states.sources[0]?.pendingSends === 1)
    await refused
    await until(() =>
      model.timeline.entries.some(({ event }) => event.type === 'send' && event.state === 'failed'),
    )
    expect(model.states.sources[0]?.pendingSends).toBe(0)
    const report = JSON.parse(JSON.stringify(createReport(model, 'node-test')))
    const failed = report.events.find((e: { type: string; state?: string }) => e.state === 'failed')
    expect(failed.error).toMatchObject({
      name: 'LiveDataError',
      code: 'ERR_SEND_FAILED',
      status: 403,
      message: expect.stringMatching(/\S/),
    })
  })

  it('copies as JSON with errors spelled out (code and message, not {}), the states and the user agent', async () => {
    // A port nothing listens on: the connection is refused, the source reports ERR_NETWORK.
    const s = await server()
    const url = s.url
    await s.close()
    const c = client(url)
    const model = inspected(c)
    const prices = c.source('prices')
    cleanups.push(prices.subscribe(() => {}))
    await until(() => model.states.sources[0]?.errorCode != null)

    const report = JSON.parse(JSON.stringify(createReport(model, 'Mozilla/5.0 test')))
    expect(report.userAgent).toBe('Mozilla/5.0 test')
    expect(report.tab).toBe('solo')
    expect(report.sources[0]).toMatchObject({
      channel: 'prices',
      errorCode: expect.stringMatching(/^ERR_/),
    })
    const failing = report.events.find(
      (e: { type: string; error?: unknown }) => e.type === 'state' && e.error,
    )
    expect(failing.error).toMatchObject({
      name: 'LiveDataError',
      code: report.sources[0].errorCode,
      message: expect.stringMatching(/\S/),
    })
    expect(report.dropped).toBe(0)
    expect(report.events.length).toBe(model.timeline.entries.length)
  })

  it('stops hearing the client once the listener is removed', async () => {
    const s = await server()
    const c = client(s.url)
    const model = createDevtoolsModel()
    const stop = c.inspect(model.push)
    const prices = c.source('prices')
    await open(prices)
    stop()
    const before = model.timeline.entries.length
    const id = s.live.publish('prices', 1)
    await until(() => prices.getSnapshot().lastEventId === id)
    expect(model.timeline.entries.length).toBe(before)
  })
})
