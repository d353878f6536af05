import { once } from 'node:events'
import { createServer, request as httpRequest } from 'node:http'
import { type AddressInfo, connect, type Socket } from 'node:net'
import { gzipSync } from 'node:zlib'
import express from 'express'
import { describe, expect, it } from 'vitest'
import {
  consoleReporter,
  createLiveServer,
  type LiveServer,
  type LiveServerOptions,
} from '../src/index'
import {
  arrivals,
  rawPeer as connectRaw,
  deadline,
  nested,
  type Started,
  testScope,
} from './helpers'

const { server, defer } = testScope()

/** A raw TCP peer on the server, to send exactly the bytes a test needs. */
async function rawPeer(s: Started) {
  const socket = connect(Number(new URL(s.origin).port), '127.0.0.1')
  defer(() => {
    socket.destroy()
  })
  await once(socket, 'connect')
  let received = ''
  socket.on('data', (chunk) => {
    received += chunk
  })
  // Not events.once: it rejects on 'error', and a peer writing after the server closed gets EPIPE.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return {
    socket,
    closed,
    get received() {
      return received
    },
  }
}

const head = (length: number) =>
  `POST /live/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`

describe('the body of a send', () => {
  it('that does not arrive within bodyTimeout is answered 408 and its connection closed', async () => {
    const s = await server({ bodyTimeout: 100 })
    const peer = await rawPeer(s)
    peer.socket.write(`${head(100)}{"data":`)
    const trickle = setInterval(() => peer.socket.write(' '), 20)
    defer(() => clearInterval(trickle))
    await peer.closed
    expect(peer.received).toMatch(/^HTTP\/1\.1 408/)
    expect(peer.received).toContain('"code":"ERR_BODY_TIMEOUT"')
    expect(peer.received.toLowerCase()).toContain('connection: close')
    expect(s.reports.map((r) => r.error.code)).toEqual(['ERR_BODY_TIMEOUT'])
  })

  it('that the client aborts is one short line from the default reporter, without a stack', async () => {
    const lines: string[] = []
    let reported!: () => void
    const done = new Promise<void>((resolve) => {
      reported = resolve
    })
    const log = consoleReporter({ write: (line) => lines.push(line) })
    const arrived = arrivals()
    const s = await server({
      authorize: arrived.authorize,
      onError: (error, context) => {
        log(error, context)
        reported()
      },
    })
    const peer = await rawPeer(s)
    const reading = arrived.next()
    peer.socket.write(`${head(100)}{"data":`)
    // Wait until the server reads the body, then go.
    await reading
    peer.socket.destroy()
    await done
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^\[@livedata\/server\] ERR_BODY_ABORTED: [^\n]+ \(from 127\.0\.0\.1\)$/,
    )
  })

  it('over maxPayload is answered 413 and the connection closed', async () => {
    const s = await server({ maxPayload: 1024 })
    const peer = await rawPeer(s)
    peer.socket.write(`${head(5000)}${'x'.repeat(2000)}`)
    await peer.closed
    expect(peer.received).toMatch(/^HTTP\/1\.1 413/)
  })
})

describe('a POST refused before its body arrived', () => {
  /** A request that declares 60 kB and trickles a byte every 20 ms; resolves once it was closed. */
  async function trickle(s: Started, head: string) {
    const peer = await connectRaw(s.origin)
    defer(() => {
      peer.socket.destroy()
    })
    peer.socket.write(
      `${head}\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{"data":`,
    )
    const timer = setInterval(() => peer.socket.write('1'), 20)
    defer(() => clearInterval(timer))
    return Promise.race([peer.closed, deadline(2000, 'closing the connection')])
  }
  const post = (path: string, headers = 'Host: 127.0.0.1', method = 'POST') =>
    `${method} ${path} HTTP/1.1\r\n${headers}`

  it.each([
    ['authorize says no', post('/live/locked'), 403, 'ERR_FORBIDDEN'],
    ['authorize throws', post('/live/broken'), 503, 'ERR_AUTHORIZE'],
    [
      'a refused origin',
      post('/live/open', 'Host: 127.0.0.1\r\nOrigin: https://evil.example'),
      403,
      'ERR_ORIGIN',
    ],
    ['a refused host', post('/live/open', 'Host: evil.example'), 403, 'ERR_HOST'],
    ['an invalid channel', post('/live/bad%20name'), 404, 'ERR_INVALID_CHANNEL'],
    ['another method', post('/live/open', undefined, 'PUT'), 405, 'ERR_METHOD'],
    ['a path outside the server', post('/elsewhere'), 404, 'ERR_NOT_FOUND'],
  ])(
    '(%s) is answered with Connection: close, and the connection closed at once',
    async (_what, head, status, code) => {
      const s = await server({
        bodyTimeout: 60_000,
        authorize: ({ channel }) => {
          if (channel === 'broken') throw new Error('the session store is down')
          return channel !== 'locked'
        },
      })
      const answer = await trickle(s, head)
      expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `))
      expect(answer).toContain(`"code":"${code}"`)
      expect(answer.toLowerCase()).toContain('connection: close')
    },
  )

  it.each([
    ['declared over maxPayload, refused unread', 'chat', 1024, 413],
    ['refused by authorize', 'locked', 64 * 1024 * 1024, 403],
  ])(
    'a client still sending its body reads the answer (%s): the connection lingers instead of a reset',
    async (_what, channel, maxPayload, status) => {
      const s = await server({ maxPayload, authorize: ({ channel }) => channel !== 'locked' })
      const length = 10 * 1024 * 1024
      const socket = connect(Number(new URL(s.origin).port), '127.0.0.1')
      defer(() => void socket.destroy())
      socket.on('error', () => {})
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
      await once(socket, 'connect')
      // The client reads nothing while it sends: the answer waits in its system's buffer, where
      // a reset from the server would drop it.
      socket.pause()
      socket.write(
        `POST /live/${channel} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`,
      )
      const piece = Buffer.alloc(16 * 1024, 0x31)
      // For 300 ms, and never past the declared length (more would be another request).
      const until = Date.now() + 300
      for (let sent = piece.length; sent <= length && Date.now() < until; sent += piece.length) {
        if (socket.destroyed) break
        if (!socket.write(piece)) {
          await new Promise<void>((resolve) => {
            socket.once('drain', resolve)
            socket.once('close', resolve)
          })
        }
      }
      let received = ''
      socket.on('data', (chunk) => {
        received += chunk
      })
      socket.resume()
      await Promise.race([closed, deadline(3000, 'the connection closing')])
      expect(received).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `))
    },
  )

  it('a refused request without a body keeps its connection', async () => {
    const s = await server({ authorize: () => false })
    const peer = await connectRaw(s.origin)
    defer(() => {
      peer.socket.destroy()
    })
    const twice = 'GET /live/a?transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
    peer.socket.write(twice + twice)
    while (peer.received.split('HTTP/1.1 403').length < 3) await once(peer.socket, 'data')
    expect(peer.received.toLowerCase()).not.toContain('connection: close')
    expect(peer.socket.destroyed).toBe(false)
  })
})

describe('a body the client aborts while authorize runs', () => {
  it.each([
    ['bodyTimeout 0', 0],
    ['the default bodyTimeout', undefined],
  ])('is reported aborted at once (%s)', async (_name, bodyTimeout) => {
    let serverSide!: Promise<unknown>
    let asked!: () => void
    const authorizing = new Promise<void>((resolve) => {
      asked = resolve
    })
    const codes: string[] = []
    let reported!: () => void
    const report = new Promise<void>((resolve) => {
      reported = resolve
    })
    const s = await server({
      bodyTimeout,
      // Answers only once the client is gone from the server's side too.
      authorize: async () => {
        asked()
        await serverSide
        return true
      },
      onError: (error) => {
        codes.push(error.code)
        reported()
      },
    })
    s.http.once('connection', (socket: Socket) => {
      serverSide = new Promise((resolve) => socket.once('close', resolve))
    })
    const peer = await connectRaw(s.origin)
    peer.socket.write(`${head(100)}{"data":`)
    await authorizing
    peer.socket.destroy()
    await Promise.race([report, deadline(2000, 'reporting the aborted body')])
    expect(codes).toEqual(['ERR_BODY_ABORTED'])
  })
})

describe('behind Express', () => {
  async function app(
    setup: (app: express.Express, live: LiveServer) => void,
    options: LiveServerOptions = {},
  ) {
    const live = createLiveServer({ onError: () => {}, ...options })
    const seen: unknown[] = []
    live.on('message', (channel, data, context) => {
      seen.push({ channel, data, event: context.event })
    })
    const application = express()
    setup(application, live)
    const http = createServer(application)
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    defer(async () => {
      await live.close()
      http.closeAllConnections()
      await new Promise((resolve) => http.close(resolve))
    })
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/live`
    return { url, seen }
  }
  /** `live.handle` is a middleware as it is: what it does not serve goes to `next`. */
  const mount = (live: LiveServer): express.RequestHandler => live.handle
  const send = (url: string, body: string, type = 'application/json') =>
    fetch(`${url}/chat`, { method: 'POST', headers: { 'Content-Type': type }, body })

  it('takes the body express.json() already parsed', async () => {
    const { url, seen } = await app((application, live) => {
      application.use(express.json())
      application.use(mount(live))
    })
    const response = await send(url, '{"data":{"text":"hi"},"event":"say"}')
    expect(response.status).toBe(204)
    expect(seen).toEqual([{ channel: 'chat', data: { text: 'hi' }, event: 'say' }])
    const invalid = await send(url, '{"nodata":1}')
    expect(invalid.status).toBe(400)
    expect(await invalid.json()).toMatchObject({ error: { code: 'ERR_INVALID_MESSAGE' } })
  })

  it('passes every request outside its path on to the next middleware', async () => {
    const { url } = await app((application, live) => {
      application.use(live.handle)
      application.get('/hello', (_request, response) => {
        response.send('app')
      })
    })
    const response = await fetch(url.replace(/\/live$/, '/hello'))
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('app')
  })

  it('reads the body itself when mounted before express.json()', async () => {
    const { url, seen } = await app((application, live) => {
      application.use(mount(live))
      application.use(express.json())
    })
    expect((await send(url, '{"data":[1,2]}')).status).toBe(204)
    expect(seen).toEqual([{ channel: 'chat', data: [1, 2], event: undefined }])
  })

  it('parses a body express.text() or express.raw() left as a string or bytes', async () => {
    const { url, seen } = await app((application, live) => {
      application.use(express.text({ type: 'text/plain' }))
      application.use(express.raw({ type: 'application/octet-stream' }))
      application.use(mount(live))
    })
    expect((await send(url, '{"data":"text"}', 'text/plain')).status).toBe(204)
    expect((await send(url, '{"data":"raw"}', 'application/octet-stream')).status).toBe(204)
    expect(seen.map((s) => (s as { data: unknown }).data)).toEqual(['text', 'raw'])
  })

  describe('a body express.json() parsed with a larger limit is held to maxPayload', () => {
    const bigApp = (maxPayload: number) =>
      app(
        (application, live) => {
          application.use(express.json({ limit: '10mb' }))
          application.use(mount(live))
        },
        { maxPayload },
      )
    /** A POST without Content-Length: the body goes chunked, so only its parsed size tells. */
    const chunked = (url: string, body: string | Buffer, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest(
          `${url}/chat`,
          { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers } },
          (response) => {
            let text = ''
            response.on('data', (chunk) => {
              text += chunk
            })
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }))
          },
        )
        request.on('error', reject)
        for (let at = 0; at < body.length; at += 64 * 1024) {
          request.write(body.slice(at, at + 64 * 1024))
        }
        request.end()
      })

    it('by its Content-Length: 5 MB is 413 ERR_PAYLOAD_TOO_LARGE and reaches no listener', async () => {
      const { url, seen } = await bigApp(1024)
      const response = await send(url, JSON.stringify({ data: 'x'.repeat(5_000_000) }))
      expect(response.status).toBe(413)
      expect(await response.json()).toMatchObject({ error: { code: 'ERR_PAYLOAD_TOO_LARGE' } })
      expect(seen).toEqual([])
    })

    it('without a Content-Length, by its size as JSON', async () => {
      const { url, seen } = await bigApp(1024)
      const big = await chunked(url, JSON.stringify({ data: 'x'.repeat(5_000) }))
      expect(big.status).toBe(413)
      expect(JSON.parse(big.body)).toMatchObject({ error: { code: 'ERR_PAYLOAD_TOO_LARGE' } })
      const small = await chunked(url, JSON.stringify({ data: 'x'.repeat(900) }))
      expect(small.status).toBe(204)
      expect(seen).toHaveLength(1)
    })

    it('gzipped: a small Content-Length does not let 5 MB through', async () => {
      const { url, seen } = await bigApp(64 * 1024)
      const body = gzipSync(JSON.stringify({ data: 'x'.repeat(5_000_000) }))
      expect(body.length).toBeLessThan(64 * 1024)
      const response = await send(url, body as unknown as string)
      expect(response.status).toBe(400) // fetch cannot set Content-Encoding: see below
      const zipped = await chunked(url, body, { 'Content-Encoding': 'gzip' })
      expect(zipped.status).toBe(413)
      expect(seen).toEqual([])
    })

    it('nested 5,000 deep: measured without a throw, refused or taken by its size', async () => {
      const deep = `{"data":${nested(5000)}}`
      const tight = await bigApp(1024)
      expect((await chunked(tight.url, deep)).status).toBe(413)
      const roomy = await bigApp(64 * 1024)
      expect((await chunked(roomy.url, deep)).status).toBe(204)
      expect(roomy.seen).toHaveLength(1)
    })
  })

  it('says to mount it before body parsers when middleware consumed the body and left none', async () => {
    const { url, seen } = await app((application, live) => {
      application.use((request, _response, next) => {
        request.resume()
        request.on('end', () => next())
      })
      application.use(mount(live))
    })
    const response = await send(url, '{"data":1}')
    expect(response.status).toBe(400)
    const { error } = (await response.json()) as { error: { code: string; message: string } }
    expect(error.code).toBe('ERR_BODY_CONSUMED')
    expect(error.message).toContain('mount the live handler before body parsers')
    expect(seen).toEqual([])
  })
})
