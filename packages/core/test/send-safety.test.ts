import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws'
import { startHttpServer, testScope, waitForSnapshot } from './servers'

// A send can fail alone: a payload JSON cannot carry is refused before it leaves, a send the
// server refuses fails only itself, and every send settles within sendTimeout. Real servers on
// loopback: @livedata/server, a bare node:http server that never answers, and a bare `ws`
// server that answers what the test scripts.

const { server, client, defer } = testScope({ WebSocket: NodeWebSocket })

const cyclic: Record<string, unknown> = {}
cyclic.self = cyclic

const BAD_PAYLOADS: Array<[string, unknown]> = [
  ['undefined', undefined],
  ['a function', () => 1],
  ['a symbol', Symbol('x')],
  ['a bigint', 10n],
  ['a cycle', cyclic],
  ['a function inside an object', { text: 'hi', onSend: () => 1 }],
]

describe.each(['websocket', 'sse'] as const)(
  'a payload JSON cannot carry, over %s',
  (transport) => {
    it.each(BAD_PAYLOADS)(
      '(%s) is rejected at once with ERR_INVALID_PAYLOAD and never sent',
      async (_name, payload) => {
        const s = await server()
        const received: unknown[] = []
        s.live.on('message', (_channel, data) => received.push(data))
        const chat = client({ url: s.url, transports: [transport] }).source<number>('chat')
        chat.subscribe(() => {})
        await waitForSnapshot(chat, (x) => x.status === 'open')
        const requests = s.requests.length
        const error = await chat.send(payload).catch((e: unknown) => e)
        expect(error).toMatchObject({
          name: 'LiveDataError',
          code: 'ERR_INVALID_PAYLOAD',
          retryable: false,
        })
        expect((error as Error).message).toMatch(
          /^A send on "chat" was not sent: JSON cannot carry/,
        )
        // The channel goes on, and a good send after it arrives alone.
        s.live.publish('chat', 1)
        await waitForSnapshot(chat, (x) => x.data === 1)
        await chat.send('ok')
        expect(received).toEqual(['ok'])
        expect(s.requests.length - requests).toBe(transport === 'sse' ? 1 : 0)
        expect(chat.getSnapshot()).toMatchObject({ status: 'open', error: null })
      },
    )
  },
)

describe('a send the server refuses over the WebSocket', () => {
  it('fails alone, at once, with what the server said; the channel keeps its live updates', async () => {
    const s = await server({ authorize: ({ action }) => action !== 'send' })
    const chat = client({
      url: s.url,
      transports: ['websocket'],
      sendTimeout: 60_000,
    }).source<number>('chat')
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    const error = await chat.send({ text: 'hi' }).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'ERR_SEND_FAILED',
      status: 403,
      serverCode: 'ERR_FORBIDDEN',
    })
    expect((error as Error).message).toMatch(
      /^The server refused a send on "chat" \(403 ERR_FORBIDDEN\)/,
    )
    s.live.publish('chat', 2)
    const snap = await waitForSnapshot(chat, (x) => x.data === 2)
    expect(snap).toMatchObject({ status: 'open', error: null, transport: 'websocket' })
  })
})

/** A bare `ws` server on loopback: records the frames it receives, answers with `respond`. */
async function scriptedSocketServer(
  respond: (frame: Record<string, unknown>, send: (frame: object) => void) => void,
) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  const frames: Array<Record<string, unknown>> = []
  wss.on('connection', (socket) => {
    const send = (frame: object) => socket.send(JSON.stringify(frame))
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>
      frames.push(frame)
      respond(frame, send)
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
  return { url: `http://127.0.0.1:${port}/live`, frames }
}

describe('WebSocket error frames are routed by what they name', () => {
  it('with a ref: only that send fails; the subscription stays open', async () => {
    const ws = await scriptedSocketServer((frame, send) => {
      if (frame.type === 'subscribe') send({ type: 'subscribed', channel: frame.channel })
      if (frame.type === 'send') {
        send({
          type: 'error',
          code: 'ERR_INVALID_MESSAGE',
          message: 'No data',
          ref: frame.ref,
          channel: frame.channel,
        })
        send({ type: 'message', channel: frame.channel, id: '1-0', data: 'after' })
      }
    })
    const chat = client({ url: ws.url, transports: ['websocket'] }).source<string>('chat')
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    await expect(chat.send(1)).rejects.toMatchObject({
      code: 'ERR_SEND_FAILED',
      serverCode: 'ERR_INVALID_MESSAGE',
      message: 'The server answered ERR_INVALID_MESSAGE for a send on "chat": No data',
    })
    const snap = await waitForSnapshot(chat, (x) => x.data === 'after')
    expect(snap.status).toBe('open')
  })

  it('with a channel and no ref: that subscription is refused, the others go on', async () => {
    const ws = await scriptedSocketServer((frame, send) => {
      if (frame.type !== 'subscribe') return
      if (frame.channel === 'secret') {
        send({
          type: 'error',
          channel: 'secret',
          code: 'ERR_FORBIDDEN',
          message: 'Access to "secret" is not allowed',
        })
      } else {
        send({ type: 'subscribed', channel: frame.channel })
        send({ type: 'message', channel: frame.channel, id: '1-0', data: 'news' })
      }
    })
    const c = client({ url: ws.url, transports: ['websocket'] })
    const secret = c.source('secret')
    const news = c.source<string>('news')
    secret.subscribe(() => {})
    news.subscribe(() => {})
    const refused = await waitForSnapshot(secret, (x) => x.status === 'closed')
    expect(refused.error).toMatchObject({
      code: 'ERR_HTTP_STATUS',
      status: 403,
      serverCode: 'ERR_FORBIDDEN',
    })
    expect(refused.error?.message).toBe(
      'The server refused "secret" (403 ERR_FORBIDDEN): Access to "secret" is not allowed',
    )
    await waitForSnapshot(news, (x) => x.data === 'news')
    expect(news.getSnapshot().status).toBe('open')
  })

  it('with neither: every channel of the socket hears of it, and nothing closes', async () => {
    const ws = await scriptedSocketServer((frame, send) => {
      if (frame.type === 'subscribe') {
        send({ type: 'subscribed', channel: frame.channel })
        send({ type: 'error', code: 'ERR_INVALID_FRAME', message: 'Unknown frame type "x"' })
      }
    })
    const news = client({ url: ws.url, transports: ['websocket'] }).source('news')
    news.subscribe(() => {})
    const snap = await waitForSnapshot(news, (x) => x.error !== null)
    expect(snap.status).toBe('open')
    expect(snap.error).toMatchObject({ code: 'ERR_REFUSED', serverCode: 'ERR_INVALID_FRAME' })
  })
})

describe('sendTimeout over HTTP POST', () => {
  it('rejects with ERR_SEND_TIMEOUT and aborts the request when the server never answers', async () => {
    // A server that reads the POST and never answers it: Express's express.json() in front of a
    // handler that waits for a body it will never see.
    const closed: Promise<unknown>[] = []
    const mute = await startHttpServer((request) => {
      request.resume()
      closed.push(once(request.socket, 'close'))
    })
    defer(() => mute.close())
    const chat = client({
      url: `${mute.origin}/live`,
      transports: ['sse'],
      sendTimeout: 100,
    }).source('chat')
    // Nobody subscribes: the send goes by POST at once.
    const error = await chat.send({ text: 'hi' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_SEND_TIMEOUT' })
    expect((error as Error).message).toBe('No answer to a send on "chat" within 100 ms')
    expect(mute.requests[0]?.method).toBe('POST')
    await closed[0]
  })

  it('counts from before an async headers function, which may hang too', async () => {
    const s = await server()
    const chat = client({
      url: s.url,
      sendTimeout: 50,
      headers: () => new Promise<Record<string, string>>(() => {}),
    }).source('chat')
    await expect(chat.send(1)).rejects.toMatchObject({ code: 'ERR_SEND_TIMEOUT' })
    expect(s.requests).toHaveLength(0)
  })
})

describe('HTTP send errors', () => {
  it('say what the server said, never its raw JSON', async () => {
    const s = await server({ authorize: ({ action }) => action !== 'send' })
    const error = await client({ url: s.url })
      .source('chat')
      .send('x')
      .catch((e: unknown) => e as Error)
    expect(error).toMatchObject({
      code: 'ERR_SEND_FAILED',
      status: 403,
      serverCode: 'ERR_FORBIDDEN',
    })
    expect((error as Error).message).toMatch(
      /^The server refused a send on "chat" \(403 ERR_FORBIDDEN\): \S/,
    )
    expect((error as Error).message).not.toMatch(/[{}]/)
  })

  it('name only the status when the answer is not @livedata JSON', async () => {
    const proxy = await startHttpServer((_request, response) => {
      response.writeHead(502, { 'Content-Type': 'text/html' }).end('<h1>Bad gateway</h1>')
    })
    defer(() => proxy.close())
    const error = await client({ url: `${proxy.origin}/live` })
      .source('chat')
      .send('x')
      .catch((e: unknown) => e as Error)
    expect(error).toMatchObject({ code: 'ERR_SEND_FAILED', status: 502, serverCode: undefined })
    expect((error as Error).message).toBe('The server answered 502 for a send on "chat"')
  })
})
