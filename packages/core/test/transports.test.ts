import { describe, expect, it } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import { pollingTransport } from '../src/index'
import type { LiveClient, TransportName } from '../src/types'
import { startHttpServer, testScope, tick, until, waitForSnapshot } from './servers'

// Every transport of @livedata/core against a real @livedata/server on loopback. The iframe
// transport needs a browser; it is tested in Chromium (examples/server/test).

const { server, client, defer } = testScope({ WebSocket: NodeWebSocket })

/** A source that keeps every sequence number it receives, in order. */
function sequence(c: LiveClient, channel = 'seq') {
  const source = c.source<number[], number>(channel, {
    initialData: [],
    reduce: (list = [], n) => [...list, n],
  })
  source.subscribe(() => {})
  return source
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

const TRANSPORTS = ['websocket', 'sse', 'long-polling', 'polling'] as const

describe.each(TRANSPORTS)('%s against @livedata/server', (transport) => {
  it('delivers data, in order', async () => {
    const s = await server()
    const seq = sequence(client({ url: s.url, transports: [transport] }))
    await waitForSnapshot(seq, (x) => x.status === 'open')
    for (const n of range(1, 20)) s.live.publish('seq', n)
    const snap = await waitForSnapshot(seq, (x) => (x.data?.length ?? 0) >= 20)
    expect(snap.data).toEqual(range(1, 20))
    expect(snap.transport).toBe(transport)
  })

  it('sends reach the server', async () => {
    const s = await server()
    const received: Array<[string, unknown, string | undefined, string]> = []
    s.live.on('message', (channel, data, context) =>
      received.push([channel, data, context.event, context.transport]),
    )
    const chat = client({ url: s.url, transports: [transport] }).source('chat')
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    await chat.send({ text: 'hi' }, { event: 'say' })
    await chat.send(2)
    const via = transport === 'websocket' ? 'websocket' : 'http'
    expect(received).toEqual([
      ['chat', { text: 'hi' }, 'say', via],
      ['chat', 2, undefined, via],
    ])
  })

  it('resumes from its last id after the connection drops, without loss or repeats', async () => {
    const s = await server()
    const seq = sequence(client({ url: s.url, transports: [transport] }))
    await waitForSnapshot(seq, (x) => x.status === 'open')
    for (const n of range(1, 10)) s.live.publish('seq', n)
    await waitForSnapshot(seq, (x) => x.data?.length === 10)
    s.dropConnections()
    for (const n of range(11, 30)) s.live.publish('seq', n)
    const snap = await waitForSnapshot(seq, (x) => (x.data?.length ?? 0) >= 30)
    expect(snap.data).toEqual(range(1, 30))
    expect(snap.gap).toBe(false)
  })

  it('resumes from the cursor when the connection drops before the first message', async () => {
    const s = await server()
    s.live.publish('seq', 0)
    const seq = sequence(client({ url: s.url, transports: [transport] }))
    await waitForSnapshot(seq, (x) => x.status === 'open' && x.lastEventId !== null)
    s.dropConnections()
    for (const n of range(1, 5)) s.live.publish('seq', n)
    const snap = await waitForSnapshot(seq, (x) => (x.data?.length ?? 0) >= 5)
    expect(snap.data).toEqual(range(1, 5))
  })

  it('says gap and rebuilds from what history holds when it no longer reaches back', async () => {
    const s = await server({ history: 5 })
    const c = client({ url: s.url, transports: [transport] })
    const seq = c.source<number[], number>('seq', {
      initialData: [],
      reduce: (list = [], n) => [...list, n],
    })
    const stop = seq.subscribe(() => {})
    await waitForSnapshot(seq, (x) => x.status === 'open')
    s.live.publish('seq', 1)
    await waitForSnapshot(seq, (x) => x.data?.length === 1)
    stop()
    await until(() => seq.getSnapshot().status === 'closed')
    for (const n of range(2, 20)) s.live.publish('seq', n)
    seq.subscribe(() => {})
    const snap = await waitForSnapshot(seq, (x) => x.gap && x.data?.at(-1) === 20)
    expect(snap.data).toEqual(range(16, 20))
  })
})

describe('fallback', () => {
  it.each([
    [['sse', 'long-polling', 'polling'], 'sse'],
    [['long-polling', 'polling'], 'long-polling'],
    [['polling'], 'polling'],
  ] as const)(
    'offered %j, a client preferring WebSocket ends on %s, all 300 messages once, in order',
    async (offered, expected) => {
      const s = await server({ transports: offered })
      const seq = sequence(client({ url: s.url }))
      const used = new Set<string>()
      seq.subscribe(() => {
        const { transport, status } = seq.getSnapshot()
        if (status === 'open' && transport) used.add(transport)
      })
      await waitForSnapshot(seq, (x) => x.status === 'open')
      for (const n of range(1, 300)) {
        s.live.publish('seq', n)
        if (n % 10 === 0) await tick()
      }
      const snap = await waitForSnapshot(seq, (x) => (x.data?.length ?? 0) >= 300)
      expect(snap.data).toEqual(range(1, 300))
      expect(snap.transport).toBe(expected)
      expect([...used]).toEqual([expected])
    },
  )

  it('remembers the transport that worked for the next source of the client', async () => {
    const s = await server({ transports: ['long-polling', 'polling'] })
    const c = client({ url: s.url })
    const first = sequence(c, 'a')
    await waitForSnapshot(first, (x) => x.status === 'open')
    const before = s.requests.length
    const second = sequence(c, 'b')
    await waitForSnapshot(second, (x) => x.status === 'open')
    expect(second.getSnapshot().transport).toBe('long-polling')
    // It went straight to long polling: no WebSocket upgrade, no SSE request in between.
    const asked = s.requests.slice(before).map((request) => request.url ?? '')
    expect(asked.every((url) => url.includes('transport=long-polling'))).toBe(true)
  })
})

/**
 * A fetch and a WebSocket that refuse a transport once it is blocked, as a proxy in the way
 * would: the request fails before the transport ever opens.
 */
function blockable() {
  const blocked = new Set<TransportName>()
  const transportOf = (url: string, accept: string): TransportName =>
    (new URL(url).searchParams.get('transport') as TransportName | null) ??
    (accept.includes('text/event-stream') ? 'sse' : 'polling')
  const fetchImpl: typeof fetch = (input, init) => {
    const accept = new Headers(init?.headers).get('accept') ?? ''
    if (blocked.has(transportOf(String(input), accept))) {
      return Promise.reject(new TypeError('blocked by the test'))
    }
    return fetch(input, init)
  }
  class BlockableWebSocket extends NodeWebSocket {
    constructor(url: string) {
      if (blocked.has('websocket')) throw new Error('blocked by the test')
      super(url)
    }
  }
  return { blocked, fetch: fetchImpl, WebSocket: BlockableWebSocket }
}

describe('a transport switch in the middle of 1,000 messages', () => {
  it.each([
    ['websocket', 'sse'],
    ['sse', 'long-polling'],
    ['long-polling', 'polling'],
    ['polling', 'websocket'],
  ] as const)('from %s to %s: none lost, none twice, in order', async (from, to) => {
    const s = await server()
    const net = blockable()
    const seq = sequence(
      client({ url: s.url, transports: [from, to], fetch: net.fetch, WebSocket: net.WebSocket }),
    )
    const used: string[] = []
    seq.subscribe(() => {
      const { transport, status } = seq.getSnapshot()
      if (status === 'open' && transport && used.at(-1) !== transport) used.push(transport)
    })
    await waitForSnapshot(seq, (x) => x.status === 'open')
    for (const n of range(1, 1000)) {
      s.live.publish('seq', n)
      if (n % 20 === 0) await tick()
      if (n === 500) {
        net.blocked.add(from)
        s.dropConnections()
      }
    }
    const snap = await waitForSnapshot(seq, (x) => (x.data?.length ?? 0) >= 1000)
    expect(snap.data).toEqual(range(1, 1000))
    expect(used).toEqual([from, to])
  })
})

describe('plain endpoints', () => {
  it('a WebSocket server nobody wrote for us: text frames are messages, send writes a frame', async () => {
    const { WebSocketServer } = await import('ws')
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
    defer(() => new Promise<void>((resolve) => wss.close(() => resolve())))
    await new Promise((resolve) => wss.once('listening', resolve))
    const heard: string[] = []
    wss.on('connection', (socket) => {
      socket.send('{"price":1}')
      socket.send('not json')
      socket.on('message', (data) => {
        heard.push(String(data))
        socket.send('{"price":2}')
      })
    })
    const { port } = wss.address() as { port: number }
    const ticker = client({}).source<{ price: number }>('ticker', {
      url: `ws://127.0.0.1:${port}`,
      parse: JSON.parse,
    })
    ticker.subscribe(() => {})
    const failed = await waitForSnapshot(ticker, (x) => x.error !== null)
    expect(failed).toMatchObject({ status: 'open', transport: 'websocket', data: { price: 1 } })
    expect(failed.error?.code).toBe('ERR_PARSE')
    await ticker.send({ buy: 1 })
    await ticker.send('raw text')
    const snap = await waitForSnapshot(ticker, (x) => x.data?.price === 2)
    expect(snap.error).toBeNull()
    await until(() => heard.length === 2)
    expect(heard).toEqual(['{"buy":1}', 'raw text'])
  })

  it('a bare JSON URL, polled: each changed answer is a message, an unchanged one a 304', async () => {
    let version = 1
    const statuses: number[] = []
    const json = await startHttpServer((request, response) => {
      const etag = `"v${version}"`
      if (request.headers['if-none-match'] === etag) {
        statuses.push(304)
        response.writeHead(304).end()
        return
      }
      statuses.push(200)
      response.writeHead(200, { 'Content-Type': 'application/json', ETag: etag })
      response.end(JSON.stringify({ version }))
    })
    defer(() => json.close())
    const weather = client({}).source<{ version: number }>('weather', {
      url: `${json.origin}/weather.json`,
      transport: pollingTransport({ interval: 5 }),
      parse: JSON.parse,
    })
    const seen: number[] = []
    weather.subscribe(() => {
      const version = weather.getSnapshot().data?.version
      if (version !== undefined && seen.at(-1) !== version) seen.push(version)
    })
    await waitForSnapshot(weather, (x) => x.data?.version === 1)
    await json.waitForRequests(3)
    version = 2
    await waitForSnapshot(weather, (x) => x.data?.version === 2)
    expect(seen).toEqual([1, 2])
    expect(statuses.slice(0, 3)).toEqual([200, 304, 304])
  })

  it('a bare long-polled JSON URL: each answer is a message', async () => {
    let n = 0
    const json = await startHttpServer((_request, response) => {
      n++
      // Held a moment, as a long-polling server would, then answered.
      setImmediate(() => {
        response.writeHead(200, { 'Content-Type': 'application/json' })
        response.end(JSON.stringify({ n }))
      })
    })
    defer(() => json.close())
    const feed = client({}).source<number[], { n: number }>('feed', {
      url: `${json.origin}/feed`,
      transport: 'long-polling',
      parse: JSON.parse,
      reduce: (list = [], message) => [...list, message.n],
    })
    feed.subscribe(() => {})
    const snap = await waitForSnapshot(feed, (x) => (x.data?.length ?? 0) >= 5)
    expect(snap.data?.slice(0, 5)).toEqual([1, 2, 3, 4, 5])
  })
})

describe('one WebSocket per client', () => {
  it('carries every channel the client’s sources use, and closes with the last one', async () => {
    const s = await server()
    const upgrades: string[] = []
    const closed: Array<Promise<unknown>> = []
    s.http.on('upgrade', (request, socket) => {
      upgrades.push(request.url ?? '')
      closed.push(new Promise((resolve) => socket.once('close', resolve)))
    })
    const c = client({ url: s.url, transports: ['websocket'] })
    const a = c.source<number>('a')
    const b = c.source<number>('b')
    const stopA = a.subscribe(() => {})
    const stopB = b.subscribe(() => {})
    await waitForSnapshot(a, (x) => x.status === 'open')
    await waitForSnapshot(b, (x) => x.status === 'open')
    s.live.publish('a', 1)
    s.live.publish('b', 2)
    await waitForSnapshot(a, (x) => x.data === 1)
    await waitForSnapshot(b, (x) => x.data === 2)
    expect(upgrades).toEqual(['/live?batch=1048576'])
    stopA()
    stopB()
    await Promise.all(closed)
  })
})

describe('a burst of one tick', () => {
  it('comes over the WebSocket in one batch frame, and is delivered whole, in order, in one notification', async () => {
    const s = await server()
    // The client's real socket, counting the frames it receives.
    let frames = 0
    class CountingWebSocket extends NodeWebSocket {
      constructor(url: string) {
        super(url)
        this.on('message', () => frames++)
      }
    }
    const c = client({ url: s.url, transports: ['websocket'], WebSocket: CountingWebSocket })
    const seq = c.source<number[], number>('seq', {
      initialData: [],
      reduce: (list = [], n) => [...list, n],
    })
    let notifications = 0
    seq.subscribe(() => notifications++)
    await waitForSnapshot(seq, (x) => x.status === 'open')
    const before = { frames, notifications }
    for (const n of range(1, 1000)) s.live.publish('seq', n)
    const snap = await waitForSnapshot(seq, (x) => (x.data?.length ?? 0) >= 1000)
    expect(snap.data).toEqual(range(1, 1000))
    // 1,000 short messages fit one 1 MiB batch frame; the store tells its listeners once.
    expect(frames - before.frames).toBe(1)
    expect(notifications - before.notifications).toBe(1)
  })

  it('comes over SSE with the stream asking for batches (one !batch event), delivered whole and in order', async () => {
    const urls: string[] = []
    const s = await server({
      authorize: ({ request }) => {
        urls.push(request.url ?? '')
        return true
      },
    })
    const c = client({ url: s.url, transports: ['sse'] })
    const seq = c.source<number[], number>('seq', {
      initialData: [],
      reduce: (list = [], n) => [...list, n],
    })
    seq.subscribe(() => {})
    await waitForSnapshot(seq, (x) => x.status === 'open')
    for (const n of range(1, 1000)) s.live.publish('seq', n)
    const snap = await waitForSnapshot(seq, (x) => (x.data?.length ?? 0) >= 1000)
    expect(snap.data).toEqual(range(1, 1000))
    // Without reading `!batch` events the client would deliver none of them: the server sends
    // batches only to a stream that asked (see the server's one-write-per-tick tests).
    expect(urls.every((url) => /[?&]batch=1048576(&|$)/.test(url))).toBe(true)
  })
})
