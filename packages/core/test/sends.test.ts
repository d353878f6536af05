import { describe, expect, it } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import { pollingTransport } from '../src/index'
import type { LiveClientOptions } from '../src/types'
import { fakeEnvironment } from './helpers'
import { startHttpServer, testScope, until, waitForSnapshot } from './servers'

// Sends while the connection is away, the open timeout, and polling while the page is hidden,
// against real servers on loopback.

const { server, client, defer } = testScope({ WebSocket: NodeWebSocket })

describe.each(['websocket', 'sse'] as const)('sends over %s while offline', (transport) => {
  it('wait in order and go out when the connection is back', async () => {
    const s = await server()
    const env = fakeEnvironment()
    const received: unknown[] = []
    s.live.on('message', (_channel, data) => received.push(data))
    const chat = client({
      url: s.url,
      transports: [transport],
      environment: env.environment,
    }).source('chat')
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    env.set({ online: false })
    s.dropConnections()
    await waitForSnapshot(chat, (x) => x.status === 'offline')
    const sends = [1, 2, 3].map((n) => chat.send(n))
    expect(received).toEqual([])
    env.set({ online: true })
    await Promise.all(sends)
    expect(received).toEqual([1, 2, 3])
  })
})

describe('the send queue', () => {
  async function offlineSource(options: LiveClientOptions) {
    const s = await server()
    const env = fakeEnvironment()
    env.set({ online: false })
    const chat = client({
      url: s.url,
      transports: ['sse'],
      environment: env.environment,
      ...options,
    }).source('chat')
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'offline')
    return chat
  }

  it('rejects with ERR_SEND_QUEUE_FULL past maxQueuedSends', async () => {
    const chat = await offlineSource({ maxQueuedSends: 1, sendTimeout: 60_000 })
    const first = chat.send(1)
    await expect(chat.send(2)).rejects.toMatchObject({ code: 'ERR_SEND_QUEUE_FULL' })
    first.catch(() => {})
  })

  it('rejects with ERR_SEND_TIMEOUT when the connection does not come back in time', async () => {
    const chat = await offlineSource({ sendTimeout: 20 })
    await expect(chat.send(1)).rejects.toMatchObject({ code: 'ERR_SEND_TIMEOUT' })
  })

  it('a send the server refuses rejects with ERR_SEND_FAILED and the status', async () => {
    const s = await server({ authorize: ({ action }) => action !== 'send' })
    const chat = client({ url: s.url, transports: ['websocket'] }).source('chat')
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    await expect(chat.send('x')).rejects.toMatchObject({ code: 'ERR_SEND_FAILED', status: 403 })
  })
})

describe.each(['websocket', 'sse'] as const)(
  'a send queued while connecting, when a final refusal closes the source (%s)',
  (transport) => {
    // sendTimeout is long: a send still waiting for a connection that will never come would
    // fail the test with ERR_SEND_TIMEOUT, "not connected", instead of what the server said.
    const options = { transports: [transport], sendTimeout: 4000 }

    it('goes out by POST at once, the server authorizing sends on their own', async () => {
      const s = await server({ authorize: ({ action }) => action === 'send', onError: () => {} })
      const received: unknown[] = []
      s.live.on('message', (_channel, data) => received.push(data))
      const chat = client({ url: s.url, ...options }).source('chat')
      chat.subscribe(() => {})
      expect(chat.getSnapshot().status).toBe('connecting')
      const sent = chat.send({ text: 'hi' })
      const refused = await waitForSnapshot(chat, (x) => x.status === 'closed')
      expect(refused.error?.serverCode).toBe('ERR_FORBIDDEN')
      await expect(sent).resolves.toBeUndefined()
      expect(received).toEqual([{ text: 'hi' }])
    })

    it('rejects at once with what the server said when the POST is refused too', async () => {
      const s = await server({ authorize: () => false, onError: () => {} })
      const chat = client({ url: s.url, ...options }).source('chat')
      chat.subscribe(() => {})
      expect(chat.getSnapshot().status).toBe('connecting')
      const sent = chat.send({ text: 'hi' })
      await expect(sent).rejects.toMatchObject({
        code: 'ERR_SEND_FAILED',
        status: 403,
        serverCode: 'ERR_FORBIDDEN',
        message: expect.stringMatching(
          /^The server refused a send on "chat" \(403 ERR_FORBIDDEN\)/,
        ),
      })
      expect(chat.getSnapshot().status).toBe('closed')
    })
  },
)

describe('a burst of sends over the WebSocket of @livedata/server', () => {
  it('300 sends awaited together all resolve, in order, and arrive in order', async () => {
    // An authorize that takes a turn of the event loop: the frames pile up on the server, which
    // must hold them back (backpressure) rather than cut the socket.
    const s = await server({
      authorize: async () => {
        await new Promise((resolve) => setImmediate(resolve))
        return true
      },
    })
    const received: number[] = []
    s.live.on('message', (_channel, data) => received.push(data as number))
    const chat = client({ url: s.url, transports: ['websocket'] }).source('chat')
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    const settled: number[] = []
    const all = Array.from({ length: 300 }, (_, i) => chat.send(i).then(() => settled.push(i)))
    await Promise.all(all)
    const order = Array.from({ length: 300 }, (_, i) => i)
    expect(settled).toEqual(order)
    expect(received).toEqual(order)
    expect(chat.getSnapshot()).toMatchObject({ status: 'open', error: null })
  })
})

describe('sends over the WebSocket that the server holds back', () => {
  it('each reject with ERR_SEND_TIMEOUT after sendTimeout; late answers are ignored', async () => {
    let open: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const s = await server({
      authorize: async ({ action }) => {
        if (action === 'send') await gate
        return true
      },
    })
    const received: number[] = []
    s.live.on('message', (_channel, data) => received.push(data as number))
    const chat = client({ url: s.url, transports: ['websocket'], sendTimeout: 100 }).source('chat')
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    const sends = [1, 2, 3].map((n) => chat.send(n).catch((error: unknown) => error))
    for (const error of await Promise.all(sends)) {
      expect(error).toMatchObject({
        code: 'ERR_SEND_TIMEOUT',
        message: 'No answer to a send on "chat" within 100 ms',
      })
    }
    // The server takes them after all, and answers: the answers find nobody, the channel goes on.
    open()
    await chat.send(4)
    expect(received).toEqual([1, 2, 3, 4])
    expect(chat.getSnapshot()).toMatchObject({ status: 'open', error: null })
  })
})

describe('sends still queued when the client is closed', () => {
  it('reject at once with ERR_CLOSED', async () => {
    const s = await server()
    const env = fakeEnvironment()
    env.set({ online: false })
    const c = client({
      url: s.url,
      transports: ['sse'],
      environment: env.environment,
      sendTimeout: 3000,
    })
    const chat = c.source('chat')
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'offline')
    const sent = chat.send(1)
    c.close()
    await expect(sent).rejects.toMatchObject({ code: 'ERR_CLOSED' })
    expect(s.requests).toHaveLength(0)
  })
})

describe('open timeout', () => {
  it('gives up a transport that neither opens nor fails, and falls back to the next', async () => {
    const s = await server()
    // A proxy that takes the stream request and never answers it.
    const held = await startHttpServer(() => {})
    defer(() => held.close())
    const sseUrl = `${held.origin}/live`
    const c = client({
      url: s.url,
      transports: ['sse', 'long-polling'],
      openTimeout: 100,
      fetch: (input, init) => {
        const url = String(input)
        const accept = new Headers(init?.headers).get('accept') ?? ''
        return fetch(accept.includes('event-stream') ? url.replace(s.url, sseUrl) : url, init)
      },
    })
    const prices = c.source<number>('prices')
    prices.subscribe(() => {})
    const snap = await waitForSnapshot(prices, (x) => x.status === 'open')
    expect(snap.transport).toBe('long-polling')
    expect(held.requests).toHaveLength(1)
  })
})

describe('polling while the page is hidden', () => {
  it('pauses, and polls at once when the page is visible again', async () => {
    const s = await server()
    const env = fakeEnvironment()
    const prices = client({
      url: s.url,
      transports: ['polling'],
      environment: env.environment,
    }).source<number>('prices')
    prices.subscribe(() => {})
    await waitForSnapshot(prices, (x) => x.status === 'open')
    env.set({ visible: false })
    // Parked: the loop waits for the page to come back instead of asking again.
    await until(() => env.listeners() === 2)
    const asked = s.requests.length
    s.live.publish('prices', 7)
    env.set({ visible: true })
    await waitForSnapshot(prices, (x) => x.data === 7)
    expect(s.requests.length).toBe(asked + 1)
  })

  it('goes on when pollWhenHidden is set', async () => {
    const s = await server()
    const env = fakeEnvironment()
    env.set({ visible: false })
    const prices = client({
      url: s.url,
      transports: [pollingTransport({ interval: 5, pollWhenHidden: true })],
      environment: env.environment,
    }).source<number>('prices')
    prices.subscribe(() => {})
    await waitForSnapshot(prices, (x) => x.status === 'open')
    s.live.publish('prices', 9)
    await waitForSnapshot(prices, (x) => x.data === 9)
  })
})

describe('review fixes', () => {
  it('a send made while queued sends go out waits its turn behind them', async () => {
    const s = await server()
    const env = fakeEnvironment()
    const received: unknown[] = []
    s.live.on('message', (_channel, data) => received.push(data))
    const chat = client({ url: s.url, transports: ['sse'], environment: env.environment }).source(
      'chat',
    )
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    env.set({ online: false })
    s.dropConnections()
    await waitForSnapshot(chat, (x) => x.status === 'offline')
    const queued = [1, 2, 3].map((n) => chat.send(n))
    env.set({ online: true })
    await waitForSnapshot(chat, (x) => x.status === 'open')
    await Promise.all([...queued, chat.send(4)])
    expect(received).toEqual([1, 2, 3, 4])
  })

  it('a long poll held on a quiet channel counts as open: no fallback after a reconnect', async () => {
    const s = await server()
    s.live.publish('quiet', 1)
    const quiet = client({
      url: s.url,
      transports: ['long-polling', 'polling'],
      openTimeout: 200,
    }).source<number>('quiet')
    const opened: string[] = []
    quiet.subscribe(() => {
      const { status, transport } = quiet.getSnapshot()
      if (status === 'open' && opened.at(-1) !== transport) opened.push(transport ?? '')
    })
    await waitForSnapshot(quiet, (x) => x.status === 'open' && x.lastEventId !== null)
    // The first answer came at once (it carried the cursor); the second is the held one.
    await s.waitForRequests(2)
    s.dropConnections()
    await waitForSnapshot(quiet, (x) => x.status === 'reconnecting')
    await waitForSnapshot(quiet, (x) => x.status === 'open')
    expect(opened).toEqual(['long-polling'])
  })

  it('a silent shared WebSocket is replaced for every channel on it', async () => {
    const s = await server({ heartbeat: 0 })
    const upgrades: string[] = []
    s.http.on('upgrade', (request) => upgrades.push(request.url ?? ''))
    const c = client({ url: s.url, transports: ['websocket'], heartbeatTimeout: 100 })
    const a = c.source<number>('a')
    const b = c.source<number>('b')
    const errors = new Set<string>()
    for (const source of [a, b]) {
      source.subscribe(() => {
        const { error } = source.getSnapshot()
        if (error) errors.add(`${source.key}:${error.code}`)
      })
    }
    await waitForSnapshot(a, (x) => x.status === 'open')
    await waitForSnapshot(b, (x) => x.status === 'open')
    // Nothing is published and the server sends no heartbeats: the socket falls silent.
    await until(() => upgrades.length >= 2)
    await waitForSnapshot(a, (x) => x.status === 'open')
    await waitForSnapshot(b, (x) => x.status === 'open')
    s.live.publish('a', 1)
    s.live.publish('b', 2)
    await waitForSnapshot(a, (x) => x.data === 1)
    await waitForSnapshot(b, (x) => x.data === 2)
    expect([...errors].some((e) => e.endsWith('ERR_HEARTBEAT_TIMEOUT'))).toBe(true)
    expect(
      errors.has('a:ERR_CONNECTION_LOST') ||
        errors.has('b:ERR_CONNECTION_LOST') ||
        errors.size >= 2,
    ).toBe(true)
  })
})

describe('a WebSocket upgrade that never completes', () => {
  it('is given up after openTimeout for every channel on it, and tried again on a new socket', async () => {
    const { createServer } = await import('node:net')
    // A proxy that takes the connection and never answers the upgrade.
    const held = createServer(() => {})
    const upgrades: unknown[] = []
    held.on('connection', (socket) => upgrades.push(socket))
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve))
    defer(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of upgrades as Array<{ destroy(): void }>) socket.destroy()
          held.close(() => resolve())
        }),
    )
    const { port } = held.address() as { port: number }
    const c = client({
      url: `http://127.0.0.1:${port}/live`,
      transports: ['websocket'],
      openTimeout: 100,
      reconnect: { minDelay: 1, maxDelay: 1, jitter: 0 },
    })
    const prices = c.source('prices')
    prices.subscribe(() => {})
    // A second channel joins the same socket later, so the two give up at different times:
    // each retry must not find the other still holding the dead socket open.
    await new Promise((resolve) => setTimeout(resolve, 50))
    c.source('news').subscribe(() => {})
    await until(() => upgrades.length >= 3)
    expect(prices.getSnapshot().error?.code).toBe('ERR_OPEN_TIMEOUT')
  })
})
