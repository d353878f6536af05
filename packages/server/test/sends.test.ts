import { once } from 'node:events'
import { createServer } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { consoleReporter, createLiveServer, type LiveServer } from '../src/index'
import { type Started, testScope } from './helpers'

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
  const closed = once(socket, 'close')
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
    const s = await server({
      onError: (error, context) => {
        log(error, context)
        reported()
      },
    })
    const peer = await rawPeer(s)
    peer.socket.write(`${head(100)}{"data":`)
    // Wait until the server reads the body, then go.
    await new Promise((resolve) => s.http.once('request', resolve))
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

describe('behind Express', () => {
  async function app(setup: (app: express.Express, live: LiveServer) => void) {
    const live = createLiveServer({ onError: () => {} })
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
  const mount =
    (live: LiveServer): express.RequestHandler =>
    (request, response, next) => {
      if (!live.handle(request, response)) next()
    }
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
