import { once } from 'node:events'
import type { ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws'
import type { TransportName } from '../src/types'
import { startHttpServer, testScope, until, waitForSnapshot } from './servers'

// What the server says reaches the app: its `{error:{code,message}}` becomes the error's message
// and `serverCode`; a refusal no transport can fix closes the source at once, until
// client.reconnect(); a fallback round reports its most relevant error. Real servers on loopback.

const { server, client, defer } = testScope({ WebSocket: NodeWebSocket })

const HTTP_TRANSPORTS: TransportName[] = ['sse', 'long-polling', 'polling']

const answer = (response: ServerResponse, status: number, code: string, message: string) =>
  response
    .writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' })
    .end(JSON.stringify({ error: { code, message } }))

describe('a final refusal', () => {
  it.each(['ERR_ORIGIN', 'ERR_HOST', 'ERR_FORBIDDEN'])(
    '(%s) closes the source at once with what the server said: no fallback, no retry',
    async (code) => {
      const refusing = await startHttpServer((_request, response) =>
        answer(response, 403, code, 'Not you'),
      )
      defer(() => refusing.close())
      const news = client({ url: `${refusing.origin}/live`, transports: HTTP_TRANSPORTS }).source(
        'news',
      )
      news.subscribe(() => {})
      const snap = await waitForSnapshot(news, (x) => x.status === 'closed')
      expect(snap.error).toMatchObject({
        code: 'ERR_HTTP_STATUS',
        status: 403,
        serverCode: code,
        retryable: false,
        message: `The server refused "news" (403 ${code}): Not you`,
      })
      expect(refusing.requests).toHaveLength(1)
    },
  )

  it.each(HTTP_TRANSPORTS)(
    'from authorize, over %s, names the channel and says what the server said',
    async (transport) => {
      const s = await server({ authorize: () => false })
      const news = client({ url: s.url, transports: [transport] }).source('news')
      news.subscribe(() => {})
      const snap = await waitForSnapshot(news, (x) => x.status === 'closed')
      expect(snap.error?.serverCode).toBe('ERR_FORBIDDEN')
      expect(snap.error?.message).toMatch(/^The server refused "news" \(403 ERR_FORBIDDEN\): \S/)
      expect(snap.error?.message).not.toContain('transport=')
    },
  )

  it('from the origin check of @livedata/server closes the source on the first transport', async () => {
    // The server reports the refused origin through onError; the test needs no log line.
    const s = await server({ onError: () => {} })
    const news = client({
      url: s.url,
      transports: HTTP_TRANSPORTS,
      headers: { Origin: 'https://evil.example' },
    }).source('news')
    news.subscribe(() => {})
    const snap = await waitForSnapshot(news, (x) => x.status === 'closed')
    expect(snap.error).toMatchObject({ status: 403, serverCode: 'ERR_ORIGIN' })
    expect(snap.error?.message).toContain('https://evil.example')
    expect(s.requests).toHaveLength(1)
  })

  it('over the WebSocket closes the source too, with the same error as over HTTP', async () => {
    const s = await server({ authorize: () => false })
    const news = client({ url: s.url, transports: ['websocket', 'sse'] }).source('news')
    news.subscribe(() => {})
    const snap = await waitForSnapshot(news, (x) => x.status === 'closed')
    expect(snap.error).toMatchObject({
      code: 'ERR_HTTP_STATUS',
      status: 403,
      serverCode: 'ERR_FORBIDDEN',
    })
    expect(snap.transport).toBe('websocket')
    expect(s.requests).toHaveLength(0)
  })

  it.each(['websocket', 'sse'] as const)(
    'lasts until client.reconnect(), which connects again now (%s)',
    async (transport) => {
      let allowed = false
      const s = await server({ authorize: () => allowed })
      const c = client({ url: s.url, transports: [transport] })
      const news = c.source<number>('news')
      news.subscribe(() => {})
      await waitForSnapshot(news, (x) => x.status === 'closed')
      allowed = true
      c.reconnect()
      const snap = await waitForSnapshot(news, (x) => x.status === 'open')
      expect(snap).toMatchObject({ error: null, attempt: 0 })
      s.live.publish('news', 1)
      await waitForSnapshot(news, (x) => x.data === 1)
    },
  )
})

describe('an authorize that failed (ERR_AUTHORIZE: it threw, a database was down)', () => {
  const SENTENCE = 'Authorizing "news" failed; try again later'

  it('over HTTP (503) is retried with backoff, never final, until the source opens', async () => {
    let failures = 3
    const recovering = await startHttpServer((_request, response) => {
      if (failures-- > 0) return answer(response, 503, 'ERR_AUTHORIZE', SENTENCE)
      response.writeHead(200, { 'Content-Type': 'text/event-stream' }).write('retry: 10\n\n')
    })
    defer(() => recovering.close())
    const news = client({ url: `${recovering.origin}/live`, transports: ['sse'] }).source('news')
    const seen: string[] = []
    news.subscribe(() => seen.push(news.getSnapshot().status))
    // Closed would be the bug: a failure to check taken for a refusal.
    const failed = await waitForSnapshot(
      news,
      (x) => x.status === 'reconnecting' || x.status === 'closed',
    )
    expect(failed.status).toBe('reconnecting')
    expect(failed.error).toMatchObject({
      code: 'ERR_HTTP_STATUS',
      status: 503,
      serverCode: 'ERR_AUTHORIZE',
      retryable: true,
      message: `The server answered 503 ERR_AUTHORIZE for "news": ${SENTENCE}`,
    })
    await waitForSnapshot(news, (x) => x.status === 'open')
    expect(recovering.requests).toHaveLength(4)
    expect(seen).not.toContain('closed')
  })

  it('over the WebSocket (an error frame) is retried with backoff too, and reads as over HTTP', async () => {
    let failures = 3
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await once(wss, 'listening')
    defer(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of wss.clients) socket.terminate()
          wss.close(() => resolve())
        }),
    )
    wss.on('connection', (socket) => {
      socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; channel: string }
        if (frame.type !== 'subscribe') return
        const { channel } = frame
        socket.send(
          JSON.stringify(
            failures-- > 0
              ? { type: 'error', channel, code: 'ERR_AUTHORIZE', message: SENTENCE }
              : { type: 'subscribed', channel },
          ),
        )
      })
    })
    const { port } = wss.address() as AddressInfo
    const news = client({ url: `http://127.0.0.1:${port}/live`, transports: ['websocket'] }).source(
      'news',
    )
    const seen: string[] = []
    news.subscribe(() => seen.push(news.getSnapshot().status))
    // Closed would be the bug: a failure to check taken for a refusal.
    const failed = await waitForSnapshot(
      news,
      (x) => x.status === 'reconnecting' || x.status === 'closed',
    )
    expect(failed.status).toBe('reconnecting')
    expect(failed.error).toMatchObject({
      code: 'ERR_HTTP_STATUS',
      status: 503,
      serverCode: 'ERR_AUTHORIZE',
      retryable: true,
      message: `The server answered 503 ERR_AUTHORIZE for "news": ${SENTENCE}`,
    })
    await waitForSnapshot(news, (x) => x.status === 'open')
    expect(failures).toBe(-1)
    expect(seen).not.toContain('closed')
  })
})

describe.each(['websocket', 'sse', 'long-polling', 'polling'] as const)(
  'an authorize of @livedata/server that throws for a while, over %s',
  (transport) => {
    it('is retried with backoff until it works again: the source ends open', async () => {
      let failures = 3
      const s = await server({
        onError: () => {},
        authorize: async () => {
          if (failures-- > 0) throw new Error('ECONNREFUSED db:5432')
          return true
        },
      })
      const news = client({ url: s.url, transports: [transport] }).source<number>('news')
      const statuses: string[] = []
      news.subscribe(() => statuses.push(news.getSnapshot().status))
      // Closed would be the bug: a failure to check taken for a refusal.
      const failed = await waitForSnapshot(
        news,
        (x) => x.status === 'reconnecting' || x.status === 'closed',
      )
      expect(failed.status).toBe('reconnecting')
      expect(failed.error).toMatchObject({
        status: 503,
        serverCode: 'ERR_AUTHORIZE',
        retryable: true,
      })
      await waitForSnapshot(news, (x) => x.status === 'open')
      expect(failures).toBe(-1)
      expect(statuses).not.toContain('closed')
      s.live.publish('news', 1)
      await waitForSnapshot(news, (x) => x.data === 1)
    })
  },
)

describe('a fallback round', () => {
  it('reports its most relevant error, not the last one', async () => {
    // SSE: the server says it is closing; long polling: the connection is cut.
    const flaky = await startHttpServer((request, response) => {
      if (request.url?.includes('transport=long-polling')) return request.socket.destroy()
      answer(response, 503, 'ERR_CLOSED', 'The live server was closed')
    })
    defer(() => flaky.close())
    const news = client({
      url: `${flaky.origin}/live`,
      transports: ['sse', 'long-polling'],
      reconnect: { minDelay: 60_000, maxDelay: 60_000 },
    }).source('news')
    news.subscribe(() => {})
    const snap = await waitForSnapshot(news, (x) => x.status === 'reconnecting')
    expect(flaky.requests).toHaveLength(2)
    expect(snap.error).toMatchObject({
      code: 'ERR_HTTP_STATUS',
      status: 503,
      serverCode: 'ERR_CLOSED',
    })
    expect(snap.error?.message).toBe(
      'The server answered 503 ERR_CLOSED for "news": The live server was closed',
    )
  })

  it('stops when no transport failed in a way a retry could fix', async () => {
    const s = await server({ transports: ['websocket'] })
    const news = client({
      url: s.url,
      transports: ['websocket', 'sse', 'polling'],
      WebSocket: undefined,
    }).source('news')
    news.subscribe(() => {})
    const snap = await waitForSnapshot(news, (x) => x.status === 'closed')
    // No WebSocket here (ERR_UNSUPPORTED), then two 404s: the first 404 says the most.
    expect(snap.error).toMatchObject({ status: 404, serverCode: 'ERR_TRANSPORT' })
    expect(snap.error?.message).toMatch(/^The server answered 404 ERR_TRANSPORT for "news"/)
  })

  it('retries when one of its transports failed in a way a retry can fix', async () => {
    // SSE is not offered (404, final for SSE), long polling is cut (a network error): the source
    // keeps trying, as the network may come back.
    const flaky = await startHttpServer((request, response) => {
      if (request.url?.includes('transport=long-polling')) return request.socket.destroy()
      answer(response, 404, 'ERR_TRANSPORT', 'Not offered')
    })
    defer(() => flaky.close())
    const news = client({
      url: `${flaky.origin}/live`,
      transports: ['sse', 'long-polling'],
      reconnect: { minDelay: 1, maxDelay: 1 },
    }).source('news')
    news.subscribe(() => {})
    await until(() => flaky.requests.length >= 6)
    expect(news.getSnapshot().status).not.toBe('closed')
  })
})
