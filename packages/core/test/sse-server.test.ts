import { describe, expect, it } from 'vitest'
import { createLiveClient } from '../src/index'
import type { LiveClientOptions } from '../src/types'
import { startHttpServer, type TestServer, testScope, tick, waitForSnapshot } from './servers'

// @livedata/core against a real @livedata/server on loopback, over SSE.

const { server, client, defer } = testScope({ transports: ['sse'] })

const sseGets = (s: TestServer) => s.requests.filter((r) => r.method === 'GET').length

describe('core over SSE against @livedata/server', () => {
  it('delivers published data', async () => {
    const s = await server()
    const prices = client({ url: s.url }).source<{ price: number }>('prices')
    prices.subscribe(() => {})
    await waitForSnapshot(prices, (snap) => snap.status === 'open')
    const id = s.live.publish('prices', { price: 42 })
    const snap = await waitForSnapshot(prices, (x) => x.data !== undefined)
    expect(snap).toMatchObject({
      status: 'open',
      transport: 'sse',
      data: { price: 42 },
      lastEventId: id,
    })
  })

  it('folds messages with reduce and passes the event name', async () => {
    const s = await server()
    const feed = client({ url: s.url }).source<string[], number>('feed', {
      initialData: [],
      reduce: (list = [], n, message) => [...list, `${message.event}:${n}`],
    })
    feed.subscribe(() => {})
    await waitForSnapshot(feed, (snap) => snap.status === 'open')
    s.live.publish('feed', 1)
    s.live.publish('feed', 2, { event: 'bonus' })
    const snap = await waitForSnapshot(feed, (x) => x.data?.length === 2)
    expect(snap.data).toEqual(['message:1', 'bonus:2'])
  })

  it('keeps all 500 messages, once each and in order, while the server drops the connection 5 times', async () => {
    const s = await server({ history: 1000 })
    const seq = client({ url: s.url }).source<number[], number>('seq', {
      initialData: [],
      reduce: (list = [], n) => [...list, n],
    })
    seq.subscribe(() => {})
    await waitForSnapshot(seq, (snap) => snap.status === 'open')
    for (let n = 1; n <= 500; n++) {
      s.live.publish('seq', n)
      if (n % 5 === 0) await tick()
      if (n % 100 === 50) s.dropConnections()
      // Keep publishing while it is down; before the next drop, let it come back.
      if (n % 100 === 99) await s.waitForRequests(Math.ceil(n / 100) + 1)
    }
    const snap = await waitForSnapshot(
      seq,
      (x) => x.data?.length === 500 || (x.data?.length ?? 0) > 500,
    )
    expect(snap.data).toEqual(Array.from({ length: 500 }, (_, i) => i + 1))
    expect(sseGets(s)).toBe(6)
    expect(snap.gap).toBe(false)
  })

  it('sets the gap flag when history no longer reaches back to its last id', async () => {
    const s = await server({ history: 5 })
    const seq = client({ url: s.url }).source<number>('seq')
    const stop = seq.subscribe(() => {})
    await waitForSnapshot(seq, (snap) => snap.status === 'open')
    s.live.publish('seq', 1)
    await waitForSnapshot(seq, (snap) => snap.data === 1)
    stop()
    await s.waitForIdle()
    expect(seq.getSnapshot().status).toBe('closed')
    for (let n = 2; n <= 20; n++) s.live.publish('seq', n)
    seq.subscribe(() => {})
    const snap = await waitForSnapshot(seq, (x) => x.data === 20)
    expect(snap.gap).toBe(true)
  })

  it('resumes without a gap when history still reaches back', async () => {
    const s = await server({ history: 100 })
    const seq = client({ url: s.url }).source<number[], number>('seq', {
      reduce: (list = [], n) => [...list, n],
    })
    const stop = seq.subscribe(() => {})
    await waitForSnapshot(seq, (snap) => snap.status === 'open')
    s.live.publish('seq', 1)
    await waitForSnapshot(seq, (snap) => snap.data?.length === 1)
    stop()
    await s.waitForIdle()
    expect(seq.getSnapshot().status).toBe('closed')
    for (let n = 2; n <= 20; n++) s.live.publish('seq', n)
    seq.subscribe(() => {})
    const snap = await waitForSnapshot(seq, (x) => x.data?.length === 20)
    expect(snap.data).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    expect(snap.gap).toBe(false)
  })

  it('turns a 404 into ERR_HTTP_STATUS and stops', async () => {
    const s = await server()
    const missing = client({ url: `${s.origin}/nowhere` }).source('prices')
    missing.subscribe(() => {})
    const snap = await waitForSnapshot(missing, (x) => x.status === 'closed')
    expect(snap.error).toMatchObject({
      name: 'LiveDataError',
      code: 'ERR_HTTP_STATUS',
      status: 404,
    })
    expect(snap.error?.message).toContain('404')
  })

  it('turns a wrong content type into ERR_CONTENT_TYPE', async () => {
    const html = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' })
      res.end('<h1>login</h1>')
    })
    defer(() => html.close())
    const page = client({ url: `${html.origin}/live` }).source('prices')
    page.subscribe(() => {})
    const snap = await waitForSnapshot(page, (x) => x.status === 'closed')
    expect(snap.error?.code).toBe('ERR_CONTENT_TYPE')
    expect(snap.error?.message).toContain('text/html')
  })

  it('retries a 503 with backoff until the server is back', async () => {
    let failures = 2
    const flaky = await startHttpServer((_req, res) => {
      if (failures-- > 0) {
        res.writeHead(503).end()
        return
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream' })
      res.write('id: 1-0\nevent: x\ndata: 1\n\n')
    })
    defer(() => flaky.close())
    const source = client({ url: `${flaky.origin}/live` }).source<number>('x')
    source.subscribe(() => {})
    const snap = await waitForSnapshot(source, (x) => x.data === 1)
    expect(snap.status).toBe('open')
    expect(flaky.requests).toHaveLength(3)
  })

  it("honours the server's retry hint over a long minDelay", async () => {
    const s = await server({ retry: 20 })
    const source = client({
      url: s.url,
      reconnect: { minDelay: 60_000, maxDelay: 120_000, jitter: 0 },
    }).source('prices')
    source.subscribe(() => {})
    await waitForSnapshot(source, (x) => x.status === 'open')
    s.dropConnections()
    await waitForSnapshot(source, (x) => x.status === 'reconnecting')
    // With minDelay the second request would come a minute later and the test would time out.
    await waitForSnapshot(source, (x) => x.status === 'open')
    expect(sseGets(s)).toBe(2)
  })

  it('calls a headers function on every connect', async () => {
    let token = 0
    const seen: string[] = []
    const s = await server({
      authorize: ({ request }) => {
        seen.push(String(request.headers.authorization))
        return request.headers.authorization !== undefined
      },
    })
    const source = client({
      url: s.url,
      headers: () => ({ Authorization: `Bearer ${++token}` }),
    }).source('prices')
    source.subscribe(() => {})
    await waitForSnapshot(source, (x) => x.status === 'open')
    s.dropConnections()
    await waitForSnapshot(source, (x) => x.status === 'reconnecting')
    await waitForSnapshot(source, (x) => x.status === 'open')
    expect(seen).toEqual(['Bearer 1', 'Bearer 2'])
  })

  it('sends reach the server with their event name', async () => {
    const s = await server()
    const received: unknown[] = []
    s.live.on('message', (channel, data, context) => received.push([channel, data, context.event]))
    const chat = client({ url: s.url }).source('chat')
    await chat.send({ text: 'hi' }, { event: 'say' })
    await chat.send(2)
    expect(received).toEqual([
      ['chat', { text: 'hi' }, 'say'],
      ['chat', 2, undefined],
    ])
  })

  it('a refused send rejects with ERR_SEND_FAILED and the status', async () => {
    const s = await server({ authorize: ({ action }) => action !== 'send' })
    const chat = client({ url: s.url }).source('chat')
    await expect(chat.send('x')).rejects.toMatchObject({ code: 'ERR_SEND_FAILED', status: 403 })
  })

  it('skips a message larger than maxMessageSize with ERR_MESSAGE_TOO_LARGE and goes on', async () => {
    const s = await server()
    const source = client({ url: s.url, maxMessageSize: 100 }).source<string>('big')
    source.subscribe(() => {})
    await waitForSnapshot(source, (x) => x.status === 'open')
    s.live.publish('big', 'x'.repeat(500))
    const failed = await waitForSnapshot(source, (x) => x.error !== null)
    expect(failed.error?.code).toBe('ERR_MESSAGE_TOO_LARGE')
    s.live.publish('big', 'small')
    const snap = await waitForSnapshot(source, (x) => x.data === 'small')
    expect(snap).toMatchObject({ status: 'open', error: null })
  })

  it('two subscribers of one channel share one connection', async () => {
    const s = await server()
    const c = client({ url: s.url })
    const a = c.source('prices')
    const b = c.source('prices')
    expect(a).toBe(b)
    a.subscribe(() => {})
    b.subscribe(() => {})
    await waitForSnapshot(a, (x) => x.status === 'open')
    expect(sseGets(s)).toBe(1)
  })

  it('close() ends the connection and sources stay closed', async () => {
    const s = await server()
    const c = client({ url: s.url })
    const source = c.source('prices')
    source.subscribe(() => {})
    await waitForSnapshot(source, (x) => x.status === 'open')
    c.close()
    const snap = await waitForSnapshot(source, (x) => x.status === 'closed')
    expect(snap.status).toBe('closed')
    await expect(source.send(1)).rejects.toMatchObject({ code: 'ERR_CLOSED' })
  })
})

describe('createLiveClient options', () => {
  it.each([
    [{ url: '' }, /url must be a non-empty string/],
    [{ url: '/live', reconnect: { minDelay: -1 } }, /minDelay/],
    [{ url: '/live', reconnect: { jitter: 2 } }, /jitter/],
    [{ url: '/live', reconnect: { factor: 0.5 } }, /factor/],
    [{ url: '/live', transports: [] }, /at least one transport/],
    [{ url: '/live', transports: ['carrier-pigeon'] }, /Unknown transport "carrier-pigeon"/],
  ])('rejects %j with ERR_INVALID_OPTIONS', (options, message) => {
    expect(() => createLiveClient(options as LiveClientOptions)).toThrow(message)
    try {
      createLiveClient(options as LiveClientOptions)
    } catch (error) {
      expect(error).toMatchObject({ code: 'ERR_INVALID_OPTIONS' })
    }
  })

  it('a channel source without any url is an error that says what to do', () => {
    expect(() => createLiveClient().source('prices')).toThrow(/give createLiveClient a url/)
  })
})
