import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import express from 'express'
import { afterEach, describe, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import { createLiveServer, type LiveServer } from '../src/index'

const open: Array<{ http: Server; live: LiveServer }> = []
afterEach(async () => {
  for (const { http, live } of open.splice(0)) {
    await live.close()
    http.closeAllConnections()
    await new Promise<void>((resolve) => http.close(() => resolve()))
  }
})

/** A plain HTTP server on loopback with a live server attached between `before` and `after`. */
async function serve(before: (http: Server) => void, after: (http: Server) => void = () => {}) {
  const http = createServer()
  before(http)
  const live = createLiveServer({ onError: () => {} })
  live.attach(http)
  after(http)
  open.push({ http, live })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  return { http, live, origin }
}

type Listener = (request: IncomingMessage, response: ServerResponse) => void

/** A listener that records the paths it sees and, when `answers`, answers them with its name. */
function recorder(name: string, answers: boolean) {
  const seen: string[] = []
  const listener: Listener = (request, response) => {
    seen.push(request.url ?? '')
    if (answers) response.end(name)
  }
  return { seen, listener }
}

describe('attach', () => {
  it('attached twice to one server: the same options are one attach, other options a clear error', async () => {
    const { http, live } = await serve(() => {})
    expect(live.attach(http)).toBe(live)
    expect(() => live.attach(http, { http: false })).toThrow(
      'already attached to that server with http: true',
    )
  })

  it('with http: false serves the WebSocket only: the app (its middleware, then live.handle) gets every HTTP request', async () => {
    const http = createServer()
    const live = createLiveServer({ onError: () => {} })
    const app = express()
    const through: string[] = []
    app.use((request, _response, next) => {
      through.push(request.url)
      next()
    })
    app.use(live.handle)
    http.on('request', app)
    live.attach(http, { http: false })
    open.push({ http, live })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
    const poll = await fetch(`${origin}/live/prices?transport=polling`)
    expect(await poll.json()).toMatchObject({ gap: false, messages: [] })
    expect(through).toEqual(['/live/prices?transport=polling'])
    const socket = new WebSocket(`${origin.replace('http', 'ws')}/live`)
    const frame = (type: string) =>
      new Promise<void>((resolve) => {
        const on = (data: WebSocket.RawData): void => {
          if (!String(data).includes(`"type":"${type}"`)) return
          socket.off('message', on)
          resolve()
        }
        socket.on('message', on)
      })
    await new Promise((resolve) => socket.once('open', resolve))
    const subscribed = frame('subscribed')
    socket.send(JSON.stringify({ type: 'subscribe', channel: 'prices' }))
    await subscribed
    const message = frame('message')
    live.publish('prices', 1)
    await message
    socket.close()
    // The upgrade never went through the app.
    expect(through).toEqual(['/live/prices?transport=polling'])
  })

  it('app listeners added before attach, after it, and one removed after it each see exactly the requests outside the path', async () => {
    const first = recorder('first', true)
    const removed = recorder('removed', false)
    const later = recorder('later', false)
    const { http, origin } = await serve(
      (server) => {
        server.on('request', first.listener)
        server.on('request', removed.listener)
      },
      (server) => {
        server.on('request', later.listener)
        server.off('request', removed.listener)
      },
    )
    expect(http.listeners('request')).toEqual([first.listener, later.listener])
    const live = await fetch(`${origin}/live/prices?transport=polling`)
    expect(live.status).toBe(200)
    expect(await live.json()).toMatchObject({ gap: false, messages: [] })
    const app = await fetch(`${origin}/api/ping`)
    expect(await app.text()).toBe('first')
    expect(first.seen).toEqual(['/api/ping'])
    expect(later.seen).toEqual(['/api/ping'])
    expect(removed.seen).toEqual([])
  })

  it('an Express app never answers a request under the path, whether added before attach or after', async () => {
    const app = express()
    app.get('/api/ping', (_request, response) => {
      response.send('pong')
    })
    const errors: unknown[] = []
    app.use((_request: unknown, response: express.Response) => {
      response.status(404).send('express 404')
    })
    for (const when of ['before', 'after'] as const) {
      const add = (server: Server) => {
        server.on('request', app)
        server.on('clientError', (error) => errors.push(error))
      }
      const { origin, live } = await serve(
        when === 'before' ? add : () => {},
        when === 'after' ? add : () => {},
      )
      const stream = await fetch(`${origin}/live/prices`)
      expect(stream.headers.get('content-type')).toContain('text/event-stream')
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader()
      const head = new TextDecoder().decode((await reader.read()).value)
      expect(head).toContain('retry:')
      live.publish('prices', 42)
      const next = new TextDecoder().decode((await reader.read()).value)
      expect(next).toContain('data: 42')
      await reader.cancel()
      expect(await (await fetch(`${origin}/api/ping`)).text()).toBe('pong')
    }
    expect(errors).toEqual([])
  })

  it('close() detaches: requests under the path reach the app again, and the server keeps no emit of ours', async () => {
    const app = recorder('app', true)
    const { http, live, origin } = await serve((server) => server.on('request', app.listener))
    expect(Object.hasOwn(http, 'emit')).toBe(true)
    await live.close()
    expect(Object.hasOwn(http, 'emit')).toBe(false)
    expect(await (await fetch(`${origin}/live/prices`)).text()).toBe('app')
    expect(app.seen).toEqual(['/live/prices'])
  })

  it('without any listener answers outside the path 404 ERR_NOT_FOUND; a listener added later answers alone', async () => {
    const { http, origin } = await serve(() => {})
    const alone = await fetch(`${origin}/api/ping`)
    expect(alone.status).toBe(404)
    expect(await alone.json()).toMatchObject({ error: { code: 'ERR_NOT_FOUND' } })
    const later = recorder('later', true)
    http.on('request', later.listener)
    const answered = await fetch(`${origin}/api/ping`)
    expect(answered.status).toBe(200)
    expect(await answered.text()).toBe('later')
    expect(later.seen).toEqual(['/api/ping'])
  })

  it('two live servers on one HTTP server each serve their own path, and one closed leaves the other', async () => {
    const { http, live: first, origin } = await serve(() => {})
    const second = createLiveServer({ path: '/other', onError: () => {} })
    second.attach(http)
    open.push({ http, live: second })
    const polling = { headers: { Accept: 'application/json' } }
    expect((await fetch(`${origin}/live/a`, polling)).status).toBe(200)
    expect((await fetch(`${origin}/other/b`, polling)).status).toBe(200)
    const nowhere = await fetch(`${origin}/api/ping`)
    expect(nowhere.status).toBe(404)
    expect(await nowhere.json()).toMatchObject({ error: { code: 'ERR_NOT_FOUND' } })
    await first.close()
    expect((await fetch(`${origin}/live/a`, polling)).status).toBe(404)
    expect((await fetch(`${origin}/other/b`, polling)).status).toBe(200)
  })

  it('live servers replaced one after another (the new attached before the old closes) leave no wrapper behind', async () => {
    const http = createServer((_request, response) => response.end('app'))
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
    const polling = { headers: { Accept: 'application/json' } }
    // What a dev server's hot reload does: the new live server attaches, then the old one closes.
    let current = createLiveServer({ onError: () => {} }).attach(http)
    const wrapper = http.emit
    for (let i = 0; i < 50; i++) {
      const next = createLiveServer({ onError: () => {} }).attach(http)
      await current.close()
      current = next
    }
    // One wrapper serves every attached live server: the chain did not grow with the reloads.
    expect(http.emit).toBe(wrapper)
    expect((await fetch(`${origin}/live/a`, polling)).status).toBe(200)
    await current.close()
    // The last one gone, the server has its own emit back and answers as it did before.
    expect(Object.hasOwn(http, 'emit')).toBe(false)
    expect(await (await fetch(`${origin}/live/a`)).text()).toBe('app')
    http.closeAllConnections()
    await new Promise<void>((resolve) => http.close(() => resolve()))
  })

  it("an accepted socket keeps only ws's error listener, and a client resetting it ends its connection, not the server", async () => {
    const sockets: Duplex[] = []
    // Listens after the live server: by then the upgrade was taken (ws takes it synchronously).
    const { live, origin } = await serve(
      () => {},
      (http) => http.on('upgrade', (_request, socket: Duplex) => sockets.push(socket)),
    )
    const client = new WebSocket(`${origin.replace('http', 'ws')}/live`)
    await once(client, 'open')
    expect(live.stats().connections).toBe(1)
    // Ours went once ws listened: one listener per socket, not two, for the socket's whole life.
    expect(sockets[0]?.listenerCount('error')).toBe(1)
    ;(client as unknown as { _socket: Socket })._socket.resetAndDestroy()
    await vi.waitFor(() => expect(live.stats().connections).toBe(0))
    expect(
      (await fetch(`${origin}/live/a`, { headers: { Accept: 'application/json' } })).status,
    ).toBe(200)
  })
})
