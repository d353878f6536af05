import { once } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws'
import type { LiveDataError } from '../src/errors'
import { createLiveClient, iframe } from '../src/index'
import type { LiveSource, TransportName } from '../src/types'
import { startHttpServer, testScope, until, waitForSnapshot } from './servers'

// Auth the same on every transport: headers (over the WebSocket in a `hello` frame), the
// `credentials` of every fetch, a `query` on every URL, a base URL with a query of its own, and
// client.reconnect() with fresh credentials. Real servers on loopback.

const { server, client, defer } = testScope({ WebSocket: NodeWebSocket })

const TRANSPORTS: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling']

/** Every URL the server was asked for, WebSocket upgrades included. */
function urlsOf(s: Awaited<ReturnType<typeof server>>): () => string[] {
  const upgrades: string[] = []
  s.http.on('upgrade', (request) => upgrades.push(request.url ?? ''))
  return () => [...s.requests.map((request) => request.url ?? ''), ...upgrades]
}

describe.each(TRANSPORTS)('over %s', (transport) => {
  it('the headers reach authorize (over the WebSocket in a hello frame)', async () => {
    const s = await server({
      authorize: ({ headers }) => headers.authorization === 'Bearer good',
    })
    const news = client({
      url: s.url,
      transports: [transport],
      headers: async () => ({ authorization: 'Bearer good' }),
    }).source<number>('news')
    news.subscribe(() => {})
    await waitForSnapshot(news, (x) => x.status === 'open')
    expect(news.getSnapshot().transport).toBe(transport)
    s.live.publish('news', 1)
    await waitForSnapshot(news, (x) => x.data === 1)
  })

  it('the query goes on every request, sends included', async () => {
    const s = await server({
      authorize: ({ request }) =>
        new URL(request.url ?? '', 'http://x').searchParams.get('token') === 't1',
    })
    const urls = urlsOf(s)
    const chat = client({
      url: s.url,
      transports: [transport],
      query: () => ({ token: 't1' }),
    }).source('chat')
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    await chat.send('hi')
    expect(urls().length).toBeGreaterThan(0)
    for (const url of urls()) expect(url).toMatch(/[?&]token=t1(&|$)/)
  })

  it("a url with a query of its own: the query stays, the channel goes into c= (or a send's path)", async () => {
    const s = await server()
    const urls = urlsOf(s)
    const received: unknown[] = []
    s.live.on('message', (_channel, data) => received.push(data))
    const news = client({ url: `${s.url}?tenant=acme`, transports: [transport] }).source<number>(
      'news',
    )
    news.subscribe(() => {})
    await waitForSnapshot(news, (x) => x.status === 'open')
    s.live.publish('news', 1)
    await waitForSnapshot(news, (x) => x.data === 1)
    await news.send(2)
    expect(received).toEqual([2])
    // The stream (or socket) is on the base path with the channel in c=; a POST send names it in its path.
    for (const url of urls()) {
      expect(url).toMatch(/^\/live(\/news)?\?tenant=acme/)
      if (!url.startsWith('/live/news') && transport !== 'websocket')
        expect(url).toMatch(/[?&]c=news(!|&|$)/)
    }
  })

  it('client.reconnect() connects again now, with a fresh token, and reopens a refused source', async () => {
    let token = 'old'
    const s = await server({
      authorize: ({ request, headers }) =>
        headers.authorization === 'Bearer new' &&
        new URL(request.url ?? '', 'http://x').searchParams.get('token') === 'new',
    })
    const c = client({
      url: s.url,
      transports: [transport],
      headers: () => ({ authorization: `Bearer ${token}` }),
      query: async () => ({ token }),
    })
    const news = c.source<number>('news')
    news.subscribe(() => {})
    const refused = await waitForSnapshot(news, (x) => x.status === 'closed')
    expect(refused.error?.serverCode).toBe('ERR_FORBIDDEN')
    token = 'new'
    c.reconnect()
    await waitForSnapshot(news, (x) => x.status === 'open')
    s.live.publish('news', 7)
    await waitForSnapshot(news, (x) => x.data === 7)
  })
})

describe('credentials', () => {
  it('go with every fetch: SSE, long polls, polls and sends', async () => {
    const s = await server()
    const seen: Array<[string, RequestCredentials | undefined]> = []
    for (const transport of ['sse', 'long-polling', 'polling'] as const) {
      const source = client({
        url: s.url,
        transports: [transport],
        credentials: 'include',
        fetch: (input, init) => {
          seen.push([`${transport} ${init?.method ?? 'GET'}`, init?.credentials])
          return fetch(input, init)
        },
      }).source(transport)
      source.subscribe(() => {})
      await waitForSnapshot(source, (x) => x.status === 'open')
      await source.send(1)
    }
    expect(new Set(seen.map(([request]) => request))).toEqual(
      new Set([
        'sse GET',
        'sse POST',
        'long-polling GET',
        'long-polling POST',
        'polling GET',
        'polling POST',
      ]),
    )
    for (const [, credentials] of seen) expect(credentials).toBe('include')
  })
})

describe('the hello frame', () => {
  async function recordingSocketServer() {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await once(wss, 'listening')
    const frames: unknown[] = []
    const urls: string[] = []
    wss.on('connection', (socket, request) => {
      urls.push(request.url ?? '')
      socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; channel?: string }
        frames.push(frame)
        if (frame.type === 'subscribe') {
          socket.send(JSON.stringify({ type: 'subscribed', channel: frame.channel }))
        }
      })
    })
    defer(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of wss.clients) socket.terminate()
          wss.close(() => resolve())
        }),
    )
    const { port } = wss.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}/live`, frames, urls }
  }

  it('comes first, with the headers, when there are headers', async () => {
    const ws = await recordingSocketServer()
    const news = client({
      url: ws.url,
      transports: ['websocket'],
      headers: { authorization: 'Bearer t' },
    }).source('news', { replay: 20 })
    news.subscribe(() => {})
    await waitForSnapshot(news, (x) => x.status === 'open')
    expect(ws.frames).toEqual([
      { type: 'hello', headers: { authorization: 'Bearer t' } },
      { type: 'subscribe', channel: 'news', lastEventId: null, replay: 20 },
    ])
  })

  it('is not sent without headers', async () => {
    const ws = await recordingSocketServer()
    const news = client({ url: ws.url, transports: ['websocket'] }).source('news')
    news.subscribe(() => {})
    await waitForSnapshot(news, (x) => x.status === 'open')
    expect(ws.frames).toEqual([{ type: 'subscribe', channel: 'news', lastEventId: null }])
  })

  it('new credentials after client.reconnect() move the sources to a new socket', async () => {
    const ws = await recordingSocketServer()
    let token = 'a'
    const c = client({
      url: ws.url,
      transports: ['websocket'],
      headers: () => ({ authorization: token }),
      query: () => ({ v: token }),
    })
    const a = c.source('a')
    const b = c.source('b')
    a.subscribe(() => {})
    b.subscribe(() => {})
    await waitForSnapshot(a, (x) => x.status === 'open')
    await waitForSnapshot(b, (x) => x.status === 'open')
    token = 'b'
    c.reconnect()
    await until(() => ws.frames.length >= 6)
    await waitForSnapshot(a, (x) => x.status === 'open')
    await waitForSnapshot(b, (x) => x.status === 'open')
    expect(ws.urls).toEqual(['/live?v=a&batch=1048576', '/live?v=b&batch=1048576'])
    expect(ws.frames.filter((frame) => (frame as { type: string }).type === 'hello')).toEqual([
      { type: 'hello', headers: { authorization: 'a' } },
      { type: 'hello', headers: { authorization: 'b' } },
    ])
  })
})

describe('a hello the server refuses (ERR_INVALID_HELLO)', () => {
  const SENTENCE = 'the header "authorization" is longer than 8192 characters'

  /**
   * A server on loopback whose WebSocket refuses a hello as @livedata/server does (an error frame
   * with ERR_INVALID_HELLO, then close 1008) on sockets opened while `refuse()`, and whose HTTP
   * side answers `http`.
   */
  async function helloRefusingServer(
    http: (request: IncomingMessage, response: ServerResponse) => void,
    refuse = () => true,
  ) {
    let upgrades = 0
    const s = await startHttpServer(http, (server) => {
      const wss = new WebSocketServer({ server })
      server.on('upgrade', () => upgrades++)
      wss.on('connection', (socket) => {
        const welcome = !refuse()
        socket.on('message', (data) => {
          const frame = JSON.parse(String(data)) as { type: string; channel?: string }
          if (welcome && frame.type === 'subscribe') {
            socket.send(JSON.stringify({ type: 'subscribed', channel: frame.channel }))
          }
          if (welcome || frame.type !== 'hello') return
          socket.send(
            JSON.stringify({ type: 'error', code: 'ERR_INVALID_HELLO', message: SENTENCE }),
          )
          socket.close(1008, 'invalid hello')
        })
      })
      defer(() => new Promise<void>((resolve) => wss.close(() => resolve())))
    })
    defer(() => s.close())
    return { ...s, url: `${s.origin}/live`, upgrades: () => upgrades }
  }

  /** Every error the source showed, in order. */
  function errorsOf(source: LiveSource<unknown>): LiveDataError[] {
    const seen: LiveDataError[] = []
    source.subscribe(() => {
      const { error } = source.getSnapshot()
      if (error && error !== seen.at(-1)) seen.push(error)
    })
    return seen
  }

  it('is where the WebSocket ends for these headers: the next transport opens, told why', async () => {
    const s = await helloRefusingServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/event-stream' }).write('retry: 10\n\n')
    })
    const news = client({
      url: s.url,
      transports: ['websocket', 'sse'],
      headers: { authorization: 'Bearer t' },
    }).source('news')
    const errors = errorsOf(news)
    const snap = await waitForSnapshot(news, (x) => x.status === 'open')
    expect(snap.transport).toBe('sse')
    expect(errors[0]).toMatchObject({
      code: 'ERR_REFUSED',
      serverCode: 'ERR_INVALID_HELLO',
      retryable: false,
      message: `The server answered ERR_INVALID_HELLO for the WebSocket's hello: ${SENTENCE}`,
    })
    expect(s.requests[0]?.headers.authorization).toBe('Bearer t')
    expect(s.upgrades()).toBe(1)
  })

  it('by @livedata/server (a token too long for a hello): SSE opens with it as an HTTP header', async () => {
    const token = `Bearer ${'a'.repeat(9000)}`
    const s = await server({
      authorize: ({ headers }) => headers.authorization === token,
      onError: () => {},
    })
    let upgrades = 0
    s.http.on('upgrade', () => upgrades++)
    const news = client({
      url: s.url,
      transports: ['websocket', 'sse'],
      headers: { authorization: token },
    }).source<number>('news')
    const errors = errorsOf(news)
    const snap = await waitForSnapshot(news, (x) => x.status === 'open')
    expect(snap.transport).toBe('sse')
    expect(errors[0]).toMatchObject({ code: 'ERR_REFUSED', serverCode: 'ERR_INVALID_HELLO' })
    expect(errors[0]?.message).toMatch(
      /^The server answered ERR_INVALID_HELLO for the WebSocket's hello: \S/,
    )
    expect(upgrades).toBe(1)
    s.live.publish('news', 1)
    await waitForSnapshot(news, (x) => x.data === 1)
  })

  it('closes a source that has no other transport, with the sentence', async () => {
    const s = await helloRefusingServer((_request, response) => response.destroy())
    const news = client({
      url: s.url,
      transports: ['websocket'],
      headers: { authorization: 'Bearer t' },
      reconnect: { minDelay: 1, maxDelay: 1, maxAttempts: 3 },
    }).source('news')
    news.subscribe(() => {})
    const snap = await waitForSnapshot(news, (x) => x.status === 'closed')
    expect(snap.error).toMatchObject({ code: 'ERR_REFUSED', serverCode: 'ERR_INVALID_HELLO' })
    expect(snap.error?.message).toContain(SENTENCE)
    expect(s.upgrades()).toBe(1)
  })

  it('is tried again after client.reconnect(), which starts afresh', async () => {
    let refuse = true
    const s = await helloRefusingServer(
      (_request, response) => response.destroy(),
      () => refuse,
    )
    const c = client({
      url: s.url,
      transports: ['websocket'],
      headers: { authorization: 'Bearer t' },
    })
    const news = c.source('news')
    news.subscribe(() => {})
    await waitForSnapshot(news, (x) => x.status === 'closed')
    // The server's limit was raised, say: the same headers are welcome now.
    refuse = false
    c.reconnect()
    const after = await waitForSnapshot(news, (x) => x.status !== 'connecting')
    expect(after).toMatchObject({ status: 'open', transport: 'websocket' })
    expect(s.upgrades()).toBe(2)
  })

  it('is not asked again with the same headers: later rounds go straight to the next transport', async () => {
    // The next transport cannot connect either (a network error, worth retrying): round after
    // round, only it is tried again.
    const s = await helloRefusingServer((request) => request.socket.destroy())
    const news = client({
      url: s.url,
      transports: ['websocket', 'long-polling'],
      headers: { authorization: 'Bearer t' },
      reconnect: { minDelay: 1, maxDelay: 1 },
    }).source('news')
    news.subscribe(() => {})
    await s.waitForRequests(4)
    expect(s.upgrades()).toBe(1)
    expect(news.getSnapshot().error?.serverCode).toBe('ERR_INVALID_HELLO')
  })
})

describe('client.reconnect()', () => {
  it('restarts an open source now, with the attempt count reset', async () => {
    const s = await server()
    let calls = 0
    const c = client({
      url: s.url,
      transports: ['sse'],
      headers: () => ({ 'x-call': String(++calls) }),
    })
    const news = c.source('news')
    news.subscribe(() => {})
    await waitForSnapshot(news, (x) => x.status === 'open')
    c.reconnect()
    await s.waitForRequests(2)
    await waitForSnapshot(news, (x) => x.status === 'open')
    expect(s.requests.map((r) => r.headers['x-call'])).toEqual(['1', '2'])
    expect(news.getSnapshot().attempt).toBe(0)
  })

  it('leaves a source nobody subscribes to alone', async () => {
    const s = await server()
    const asked: string[] = []
    const c = client({
      url: s.url,
      transports: ['sse'],
      fetch: (input, init) => {
        asked.push(new URL(String(input)).pathname)
        return fetch(input, init)
      },
    })
    // Created first: a restart of it would ask before the subscribed source does.
    c.source('idle')
    const news = c.source('news')
    news.subscribe(() => {})
    await waitForSnapshot(news, (x) => x.status === 'open')
    c.reconnect()
    await s.waitForRequests(2)
    await waitForSnapshot(news, (x) => x.status === 'open')
    // One stream for the subscribed source, before and after: the idle one is in neither.
    expect(asked).toEqual(['/live', '/live'])
  })

  it('lets go of a source lingering after its last unsubscribe: one that comes back connects afresh', async () => {
    const s = await server()
    let calls = 0
    const c = client({
      url: s.url,
      transports: ['sse'],
      disconnectDelay: 60_000,
      headers: () => ({ 'x-call': String(++calls) }),
    })
    const news = c.source('news')
    const leave = news.subscribe(() => {})
    await waitForSnapshot(news, (x) => x.status === 'open')
    leave()
    c.reconnect()
    expect(news.getSnapshot().status).toBe('closed')
    news.subscribe(() => {})
    await waitForSnapshot(news, (x) => x.status === 'open')
    expect(s.requests.map((r) => r.headers['x-call'])).toEqual(['1', '2'])
  })

  it('never reuses a socket opened before it, even one another source lingers on', async () => {
    // A browser puts its cookies on every upgrade; this one's jar changes at login.
    const jar = { cookie: 'session=anonymous' }
    class BrowserWebSocket extends NodeWebSocket {
      constructor(url: string) {
        super(url, { headers: { cookie: jar.cookie } })
      }
    }
    const s = await server({
      authorize: ({ channel, request }) =>
        channel === 'news' || request.headers.cookie === 'session=ok',
      onError: () => {},
    })
    const upgrades: string[] = []
    s.http.on('upgrade', (request) => upgrades.push(request.headers.cookie ?? ''))
    const c = client({
      url: s.url,
      transports: ['websocket'],
      WebSocket: BrowserWebSocket,
      disconnectDelay: 60_000,
    })
    const news = c.source('news')
    const inbox = c.source('inbox')
    const leave = news.subscribe(() => {})
    inbox.subscribe(() => {})
    await waitForSnapshot(news, (x) => x.status === 'open')
    const refused = await waitForSnapshot(inbox, (x) => x.status === 'closed')
    expect(refused.error?.serverCode).toBe('ERR_FORBIDDEN')
    // news lingers on the old socket for disconnectDelay; the login sets the session cookie.
    leave()
    jar.cookie = 'session=ok'
    c.reconnect()
    const after = await waitForSnapshot(inbox, (x) => x.status !== 'connecting')
    expect(after).toMatchObject({ status: 'open', error: null })
    expect(upgrades).toEqual(['session=anonymous', 'session=ok'])
  })
})

describe('the query and plain endpoints', () => {
  it("is the client's server's: a plain endpoint never gets it", async () => {
    const s = await server()
    const plain = await server()
    const urls = urlsOf(plain)
    const c = client({ url: s.url, query: { token: 'secret' } })
    const feed = c.source('feed', { url: `${plain.url}/feed` })
    feed.subscribe(() => {})
    await waitForSnapshot(feed, (x) => x.status === 'open')
    expect(urls()).toEqual(['/live/feed'])
  })
})

describe('the iframe transport', () => {
  const globals = globalThis as Record<string, unknown>
  afterEach(() => {
    for (const name of ['document', 'location', 'addEventListener', 'removeEventListener']) {
      delete globals[name]
    }
  })

  it('puts the query, the url’s own query and the backlog in its src', async () => {
    // Just enough of a page for the transport to build its frame; no network is involved.
    const frames: Array<{ src: string }> = []
    globals.location = { origin: 'https://app.example' }
    globals.addEventListener = () => {}
    globals.removeEventListener = () => {}
    globals.document = {
      readyState: 'complete',
      body: { appendChild: () => {} },
      createElement: () => {
        const frame = { src: '', style: {}, setAttribute() {}, addEventListener() {}, remove() {} }
        frames.push(frame)
        return frame
      },
    }
    const c = createLiveClient({
      url: 'https://live.example/live?tenant=acme',
      transports: [iframe],
      query: { token: 't' },
    })
    const news = c.source('news', { replay: 5 })
    const stop = news.subscribe(() => {})
    await until(() => frames.length === 1)
    stop()
    c.close()
    const src = new URL(frames[0]?.src ?? '')
    expect(src.pathname).toBe('/live')
    expect(Object.fromEntries(src.searchParams)).toMatchObject({
      tenant: 'acme',
      token: 't',
      transport: 'iframe',
      origin: 'https://app.example',
      c: 'news*5',
    })
  })
})
