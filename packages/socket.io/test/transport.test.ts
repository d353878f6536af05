import {
  createLiveClient,
  isLiveDataError,
  type LiveClient,
  type LiveClientOptions,
  type LiveSource,
} from '@livedata/core'
import type { ServerOptions } from 'socket.io'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { socketIo, socketIoTransport } from '../src/index'
import {
  recordStatuses,
  startSocketIoServer,
  type TestSocketIoServer,
  waitForSnapshot,
} from './socket-io-server'

// The transport against a real socket.io v4 server on loopback.

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function server(options: Partial<ServerOptions> = {}, port = 0) {
  const started = await startSocketIoServer(options, port)
  cleanups.push(() => started.close())
  return started
}

function client(options: LiveClientOptions = {}): LiveClient {
  const created = createLiveClient({
    register: [socketIo],
    reconnect: { minDelay: 10, maxDelay: 50 },
    disconnectDelay: 0,
    ...options,
  })
  cleanups.push(() => created.close())
  return created
}

/** A subscribed source that keeps every payload of `event`, in order. */
function list<T = number>(c: LiveClient, io: TestSocketIoServer, event = 'chat', key = event) {
  const source = c.source<T[], T>(key, {
    url: io.url,
    transport: 'socket.io',
    event,
    initialData: [],
    reduce: (all, item) => [...all, item],
  })
  source.subscribe(() => {})
  return source
}

const open = <T>(source: LiveSource<T>) => waitForSnapshot(source, (s) => s.status === 'open')
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('socket.io transport', () => {
  it('delivers each emit of the event as a message, in order', async () => {
    const io = await server()
    const chat = list(client(), io)
    expect((await open(chat)).transport).toBe('socket.io')
    for (const n of range(1, 50)) {
      io.io.emit('chat', n)
      io.io.emit('other', -n)
    }
    const snapshot = await waitForSnapshot(chat, (s) => s.data.length >= 50)
    expect(snapshot.data).toEqual(range(1, 50))
    expect(snapshot.error).toBeNull()
  })

  it('listens to unnamed `message` events when the source names no event', async () => {
    const io = await server()
    const notes = client().source<string>('notes', { url: io.url, transport: 'socket.io' })
    notes.subscribe(() => {})
    await open(notes)
    io.io.send('hello')
    expect((await waitForSnapshot(notes, (s) => s.data !== undefined)).data).toBe('hello')
  })

  it('takes the transport object itself, without register', async () => {
    const io = await server()
    const chat = createLiveClient({ disconnectDelay: 0 }).source<number>('chat', {
      url: io.url,
      transport: socketIo,
      event: 'chat',
    })
    const stop = chat.subscribe(() => {})
    cleanups.push(stop)
    await open(chat)
    io.io.emit('chat', 7)
    expect((await waitForSnapshot(chat, (s) => s.data === 7)).transport).toBe('socket.io')
  })

  describe('sends', () => {
    it('a send to a server that never acknowledges resolves once emitted, and the server gets it', async () => {
      const io = await server()
      // The classic socket.io server: a listener without an acknowledgement.
      const heard = new Promise<unknown>((resolve) =>
        io.io.on('connection', (socket) => socket.on('chat', (data: unknown) => resolve(data))),
      )
      // A sendTimeout far below the test's own: a send that waited for an acknowledgement would
      // reject with ERR_SEND_TIMEOUT instead of resolving.
      const chat = list(client({ sendTimeout: 1000 }), io)
      await open(chat)
      expect(await chat.send({ text: 'hi' })).toBeUndefined()
      expect(await heard).toEqual({ text: 'hi' })
    })

    it('with ack: true, sends resolve with the server’s acknowledgement', async () => {
      const io = await server()
      const received: Array<[string, unknown]> = []
      io.io.on('connection', (socket) => {
        socket.onAny((event: string, data: unknown, ack: (value: unknown) => void) => {
          received.push([event, data])
          ack({ ok: received.length })
        })
      })
      const chat = list(client({ register: [socketIoTransport({ ack: true })] }), io)
      await open(chat)
      expect(await chat.send({ text: 'hi' })).toEqual({ ok: 1 })
      expect(await chat.send(2, { event: 'say' })).toEqual({ ok: 2 })
      expect(received).toEqual([
        ['chat', { text: 'hi' }],
        ['say', 2],
      ])
    })

    it('with ack: true, an unacknowledged send fails with ERR_SEND_TIMEOUT after sendTimeout', async () => {
      const io = await server()
      const heard = new Promise<unknown>((resolve) =>
        io.io.on('connection', (socket) => socket.on('chat', (data: unknown) => resolve(data))),
      )
      const c = client({ sendTimeout: 100, register: [socketIoTransport({ ack: true })] })
      const chat = list(c, io)
      await open(chat)
      const error = await chat.send('anyone?').catch((e: unknown) => e)
      expect(await heard).toBe('anyone?')
      expect(isLiveDataError(error, 'ERR_SEND_TIMEOUT')).toBe(true)
    })

    it('with an ack function, only the events it accepts wait for an acknowledgement', async () => {
      const io = await server()
      const received: Array<[string, unknown]> = []
      io.io.on('connection', (socket) => {
        socket.on('order', (data: unknown, ack: (value: unknown) => void) => {
          received.push(['order', data])
          ack({ id: 7 })
        })
        socket.on('typing', (data: unknown) => received.push(['typing', data]))
      })
      const ack = (event: string) => event === 'order'
      const chat = list(client({ register: [socketIoTransport({ ack })], sendTimeout: 1000 }), io)
      await open(chat)
      expect(await chat.send(true, { event: 'typing' })).toBeUndefined()
      expect(await chat.send({ qty: 1 }, { event: 'order' })).toEqual({ id: 7 })
      expect(received).toEqual([
        ['typing', true],
        ['order', { qty: 1 }],
      ])
    })

    it('a value JSON cannot carry is refused before socket.io sees it, and the socket goes on', async () => {
      const io = await server()
      const heard = new Promise<unknown>((resolve) =>
        io.io.on('connection', (socket) => socket.on('chat', (data: unknown) => resolve(data))),
      )
      const chat = list(client(), io)
      await open(chat)
      const cycle: { self?: unknown } = {}
      cycle.self = cycle
      const error = await chat.send(cycle).catch((e: unknown) => e)
      expect(isLiveDataError(error, 'ERR_INVALID_PAYLOAD')).toBe(true)
      await chat.send('next')
      expect(await heard).toBe('next')
      expect(chat.getSnapshot().status).toBe('open')
    })

    it('sends made while connecting wait, then go out in order once the socket opens', async () => {
      const io = await server()
      const received: unknown[] = []
      io.io.on('connection', (socket) => socket.on('chat', (data: unknown) => received.push(data)))
      const chat = list(client(), io)
      expect(chat.getSnapshot().status).toBe('connecting')
      await Promise.all([chat.send(1), chat.send(2)])
      await vi.waitFor(() => expect(received).toEqual([1, 2]))
    })

    it('a send while the server is down waits in the queue, not in socket.io, and times out', async () => {
      const first = await server()
      const chat = list(client({ sendTimeout: 200 }), first)
      await open(chat)
      await first.close()
      await waitForSnapshot(chat, (s) => s.status === 'reconnecting')
      const error = await chat.send('lost').catch((e: unknown) => e)
      expect(isLiveDataError(error, 'ERR_SEND_TIMEOUT')).toBe(true)
      // Back on the same port: a send socket.io had buffered would arrive now. None must.
      const second = await server({}, first.port)
      const received: unknown[] = []
      second.io.on('connection', (socket) =>
        socket.on('chat', (data: unknown) => received.push(data)),
      )
      await open(chat)
      await chat.send('after')
      await vi.waitFor(() => expect(received).toEqual(['after']))
    })
  })

  it('goes reconnecting, then open, when the server restarts, and events flow again', async () => {
    const first = await server()
    const chat = list(client(), first)
    const statuses = recordStatuses(chat)
    await open(chat)
    first.io.emit('chat', 1)
    await waitForSnapshot(chat, (s) => s.data.length === 1)

    await first.close()
    await waitForSnapshot(chat, (s) => s.status === 'reconnecting')
    const second = await server({}, first.port)
    await open(chat)
    second.io.emit('chat', 2)
    const snapshot = await waitForSnapshot(chat, (s) => s.data.includes(2))
    expect(statuses).toEqual(['connecting', 'open', 'reconnecting', 'open'])
    expect(snapshot.transport).toBe('socket.io')
    expect(snapshot.error).toBeNull()
  })

  describe('connection state recovery', () => {
    it('with recovery on, a short disconnect is recovered: what was missed arrives, no gap', async () => {
      const io = await server({ connectionStateRecovery: {} })
      const chat = list(client(), io)
      await open(chat)
      io.io.emit('chat', 1)
      await waitForSnapshot(chat, (s) => s.data.length === 1)

      const before = await io.socket(0)
      before.conn.close()
      // Emitted while the client is away: socket.io keeps it for the session and replays it.
      io.io.emit('chat', 2)
      const after = await io.socket(1)
      expect(after.recovered).toBe(true)
      io.io.emit('chat', 3)
      const snapshot = await waitForSnapshot(chat, (s) => s.data.length === 3)
      expect(snapshot.data).toEqual([1, 2, 3])
      expect(snapshot.gap).toBe(false)
    })

    it('with recovery off, the same disconnect sets the gap flag and keeps the data', async () => {
      const io = await server()
      const chat = list(client(), io)
      await open(chat)
      io.io.emit('chat', 1)
      await waitForSnapshot(chat, (s) => s.data.length === 1)

      ;(await io.socket(0)).conn.close()
      io.io.emit('chat', 2)
      const after = await io.socket(1)
      expect(after.recovered).toBe(false)
      await waitForSnapshot(chat, (s) => s.gap)
      io.io.emit('chat', 3)
      const snapshot = await waitForSnapshot(chat, (s) => s.data.includes(3))
      // socket.io replays nothing after a loss: the data is kept, the gap said, and 2 is gone.
      expect(snapshot.data).toEqual([1, 3])
      expect(snapshot.gap).toBe(true)
    })

    it('with recovery on, a restarted server cannot recover: the gap flag is set', async () => {
      const first = await server({ connectionStateRecovery: {} })
      const chat = list(client(), first)
      await open(chat)
      await first.close()
      await waitForSnapshot(chat, (s) => s.status === 'reconnecting')
      const second = await server({ connectionStateRecovery: {} }, first.port)
      expect((await second.socket(0)).recovered).toBe(false)
      expect((await waitForSnapshot(chat, (s) => s.gap)).status).toBe('open')
    })

    it('every source on the socket gets what was missed, however late it comes back', async () => {
      const io = await server({ connectionStateRecovery: {} })
      // Backoff draws 0 for the first source to drop (chat: back at once) and 0.99 for the
      // second (news: back about 500 ms later, long after the socket recovered).
      let draws = 0
      const c = client({
        random: () => (draws++ === 0 ? 0 : 0.99),
        reconnect: { minDelay: 500, maxDelay: 500 },
      })
      const chat = list(c, io, 'chat')
      const news = list<string>(c, io, 'news')
      await Promise.all([open(chat), open(news)])
      // socket.io recovers a session only from the offset of an event it delivered.
      io.io.emit('chat', 1)
      await waitForSnapshot(chat, (s) => s.data.length === 1)
      ;(await io.socket(0)).conn.close()
      io.io.emit('chat', 2)
      io.io.emit('news', 'a')
      expect((await io.socket(1)).recovered).toBe(true)
      const a = await waitForSnapshot(chat, (s) => s.data.length === 2 && s.status === 'open')
      // The socket is back and chat has its replay while news still waits for its next attempt.
      expect(news.getSnapshot().status).toBe('reconnecting')
      const b = await waitForSnapshot(news, (s) => s.data.length === 1 && s.status === 'open')
      expect([a.data, a.gap, b.data, b.gap]).toEqual([[1, 2], false, ['a'], false])
      expect(io.sockets).toHaveLength(2)
    })
  })

  it('sources on one server share one socket, which closes when the last one lets go', async () => {
    const io = await server()
    const c = client()
    const chat = c.source<number>('chat', { url: io.url, transport: 'socket.io', event: 'chat' })
    const news = c.source<string>('news', { url: io.url, transport: 'socket.io', event: 'news' })
    const stopChat = chat.subscribe(() => {})
    const stopNews = news.subscribe(() => {})
    await Promise.all([open(chat), open(news)])
    expect(io.connected()).toBe(1)

    io.io.emit('chat', 1)
    io.io.emit('news', 'n')
    await waitForSnapshot(chat, (s) => s.data === 1)
    await waitForSnapshot(news, (s) => s.data === 'n')

    stopChat()
    // Not waitForSnapshot: subscribing to wait would keep the source.
    await vi.waitFor(() => expect(chat.getSnapshot().status).toBe('closed'))
    expect(io.connected()).toBe(1)
    stopNews()
    await io.idle()
    expect(io.sockets).toHaveLength(1)
    expect(news.getSnapshot().status).toBe('closed')
  })

  it('passes socket.io options: another path, and auth', async () => {
    const io = await server({ path: '/rt/' })
    io.io.use((socket, next) =>
      next(socket.handshake.auth.token === 'secret' ? undefined : new Error('not authorized')),
    )
    const c = client({ register: [socketIoTransport({ path: '/rt/', auth: { token: 'secret' } })] })
    const chat = list(c, io)
    await open(chat)
    io.io.emit('chat', 1)
    expect((await waitForSnapshot(chat, (s) => s.data.length === 1)).data).toEqual([1])
  })

  it('a refusal by the server is ERR_REFUSED, tried again with backoff, and an auth callback gets another go', async () => {
    const io = await server()
    let tries = 0
    io.io.use((_socket, next) => {
      tries++
      next(tries < 3 ? new Error('not authorized') : undefined)
    })
    const errors: string[] = []
    const chat = list(client(), io)
    chat.subscribe(() => {
      const { error } = chat.getSnapshot()
      if (error && errors.at(-1) !== error.message) errors.push(error.message)
    })
    await waitForSnapshot(chat, (s) => s.status === 'open')
    expect(tries).toBe(3)
    expect(errors[0]).toMatch(/not authorized/)
  })

  it('the server disconnecting the socket closes the source, as socket.io would not come back', async () => {
    const io = await server()
    const chat = list(client(), io)
    await open(chat)
    ;(await io.socket(0)).disconnect()
    const { error } = await waitForSnapshot(chat, (s) => s.status === 'closed')
    expect(error).toMatchObject({ code: 'ERR_CONNECTION_LOST', retryable: false })
    expect(io.sockets).toHaveLength(1)
  })

  it('a server that is not there leaves the source reconnecting', async () => {
    const io = await server()
    const port = io.port
    await io.close()
    const chat = list(client(), { ...io, url: `http://127.0.0.1:${port}` })
    const { error } = await waitForSnapshot(chat, (s) => s.status === 'reconnecting')
    expect(error?.code).toBe('ERR_NETWORK')
  })
})

describe('review fixes', () => {
  it('a source that left while open and comes back is told of the gap', async () => {
    const io = await server()
    const c = client()
    const news = c.source<string>('news', { url: io.url, transport: 'socket.io', event: 'news' })
    news.subscribe(() => {})
    const chat = c.source<number>('chat', { url: io.url, transport: 'socket.io', event: 'chat' })
    const stop = chat.subscribe(() => {})
    await Promise.all([open(chat), open(news)])
    io.io.emit('chat', 1)
    await waitForSnapshot(chat, (s) => s.data === 1)
    stop()
    await vi.waitFor(() => expect(chat.getSnapshot().status).toBe('closed'))
    io.io.emit('chat', 2)
    chat.subscribe(() => {})
    const back = await waitForSnapshot(chat, (s) => s.status === 'open')
    expect(back.gap).toBe(true)
    expect(back.data).toBe(1)
  })

  it('transports with other options (auth) get sockets of their own', async () => {
    const io = await server()
    const users: unknown[] = []
    io.io.use((socket, next) => {
      users.push(socket.handshake.auth.user)
      next()
    })
    const c = client()
    const alice = c.source('a', {
      url: io.url,
      transport: socketIoTransport({ auth: { user: 'alice' } }),
      event: 'chat',
    })
    const bob = c.source('b', {
      url: io.url,
      transport: socketIoTransport({ auth: { user: 'bob' } }),
      event: 'chat',
    })
    alice.subscribe(() => {})
    bob.subscribe(() => {})
    await Promise.all([open(alice), open(bob)])
    expect(users.sort()).toEqual(['alice', 'bob'])
  })
})
