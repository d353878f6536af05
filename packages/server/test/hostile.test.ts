import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { LiveServerError } from '../src/index'
import { idsOf, nested, openStream, type Started, testScope, watchEscapes } from './helpers'

const { server, socket, defer } = testScope()

/** Process-level failures while a test runs: there must be none. */
const escaped = watchEscapes()
const long = 'c'.repeat(10_000)

/** Writes raw bytes to the server and resolves with what it answered once it closed. */
async function raw(s: Started, text: string, then: (socket: Socket) => void = () => {}) {
  const peer = connect(Number(new URL(s.origin).port), '127.0.0.1')
  defer(() => {
    peer.destroy()
  })
  await once(peer, 'connect')
  let answer = ''
  peer.on('data', (chunk) => {
    answer += chunk
  })
  peer.on('error', () => {})
  peer.write(text)
  then(peer)
  // Not events.once: it rejects on 'error', and a peer writing after the server closed gets EPIPE.
  await new Promise<void>((resolve) => peer.once('close', () => resolve()))
  return answer
}

const upgradeHead = (extra = '') =>
  `GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`

/** Every frame a hostile WebSocket peer sends, one after the other, on one socket. */
const hostileFrames: Array<string | Buffer> = [
  `{"type":${nested(10_000)},"channel":"chat"}`,
  `{"type":"subscribe","channel":${nested(10_000)}}`,
  `{"type":"subscribe","channel":"chat","lastEventId":${nested(10_000)},"replay":${nested(10_000)}}`,
  `{"type":"send","channel":"chat","ref":1,"event":${nested(10_000)},"data":1}`,
  `{"type":"send","channel":"chat","ref":${nested(10_000)},"data":1}`,
  `{"type":"send","channel":"chat","ref":2,"data":${nested(10_000)}}`,
  `{"type":"unsubscribe","channel":${nested(10_000)}}`,
  '{"type":"subscribe"',
  'null',
  '[]',
  '"text"',
  `{"type":"subscribe","channel":"${long}"}`,
  `{"type":"send","channel":"chat","ref":1e400,"data":1}`,
  `{"type":"subscribe","channel":"chat","lastEventId":"${long}","replay":99999999999}`,
  `{"__proto__":{"type":"subscribe"},"constructor":{"prototype":{"polluted":1}}}`,
  Buffer.from([0xff, 0xfe, 0x00]),
  `{"type":"hello","headers":{"authorization":"late"}}`,
]

describe('a corpus of hostile peers against one server', () => {
  it('produces no unhandled rejection nor uncaught exception, and a normal client is served afterwards', async () => {
    const s = await server({ bodyTimeout: 150, maxBufferedBytes: 16 * 1024, heartbeat: 50 })
    // An app listener that stringifies what it gets, as apps do: a deep array makes it throw.
    s.live.on('message', (_channel, data) => {
      JSON.stringify(data)
    })
    s.live.publish('chat', 'history')

    // WebSocket: every hostile frame (the late hello closes the socket last).
    const ws = await socket(s)
    for (const frame of hostileFrames) {
      if (typeof frame === 'string') ws.send(frame)
      else ws.ws.send(frame, { binary: true })
    }
    expect((await ws.closed).code).toBe(1008)
    const refs = ws.frames.filter((f) => f.type === 'error').map((f) => f.ref)
    expect(refs).toContain(1)
    expect(refs).toContain(2)
    expect(Object.prototype).not.toHaveProperty('polluted')

    // Bad hellos, each on its own socket.
    for (const hello of [
      `{"type":"hello","headers":${nested(10_000)}}`,
      `{"type":"hello","headers":{"${long}":"x"}}`,
      '{"type":"hello","headers":{"__proto__":"x","constructor":"y"}}',
      '{"type":"hello"}',
    ]) {
      const peer = await socket(s)
      peer.send(hello)
      peer.send('{"type":"subscribe","channel":"chat"}')
      await Promise.race([peer.closed, peer.until((f) => f.some((x) => x.type === 'subscribed'))])
      peer.ws.terminate()
    }

    // Frames sent, then the socket cut before the server handled them.
    const gone = new WebSocket(s.url.replace('http', 'ws'))
    await once(gone, 'open')
    for (let i = 0; i < 50; i++) gone.send(`{"type":"subscribe","channel":"gone-${i}"}`)
    gone.terminate()

    // More frames in flight than the server lets wait: the peer is paused, then served.
    const flood = await socket(s)
    for (let ref = 0; ref < 400; ref++) flood.send({ type: 'send', channel: 'chat', ref, data: 1 })
    await flood.until((f) => f.filter((x) => x.type === 'ack').length === 400)
    flood.ws.terminate()

    // A peer that never reads, flooded with messages and heartbeats.
    const sleeper = new WebSocket(s.url.replace('http', 'ws'))
    await once(sleeper, 'open')
    ;(sleeper as unknown as { _socket: Socket })._socket.pause()
    sleeper.send('{"type":"subscribe","channel":"flood"}')
    defer(() => sleeper.terminate())

    // 10 kB channel names and bad parameters on every HTTP transport.
    for (const query of ['', '?transport=long-polling', '?transport=polling']) {
      const response = await fetch(`${s.url}/${long}${query}`)
      expect(response.status).toBe(404)
      expect((await response.text()).length).toBeLessThan(600)
    }
    const unknown = await fetch(`${s.url}/chat?transport=${long}`)
    expect(unknown.status).toBe(404)
    expect((await unknown.text()).length).toBeLessThan(600)
    for (const method of ['POST', 'OPTIONS', 'PUT']) {
      expect((await fetch(`${s.url}/${long}`, { method })).status).toBe(404)
    }
    for (const query of [
      `transport=iframe&origin=${encodeURIComponent(`https://${long}.example`)}&nonce=abcdefgh12`,
      `transport=iframe&origin=javascript:alert(1)&nonce=abcdefgh12`,
      `transport=iframe&origin=${encodeURIComponent('https://a.example')}&nonce=${long}`,
      'transport=iframe&origin=&nonce=',
      `lastEventId=${long}&replay=${'9'.repeat(4000)}`,
    ]) {
      const response = await fetch(`${s.url}/chat?${query}`, { signal: AbortSignal.timeout(2000) })
      expect([200, 400, 403]).toContain(response.status)
      await response.body?.cancel()
    }
    const resumed = await fetch(`${s.url}/chat`, { headers: { 'Last-Event-ID': long } })
    expect(resumed.status).toBe(200)
    await resumed.body?.cancel()

    // Sends: a body nested 30,000 deep, invalid JSON, a trickled body, an aborted body.
    const deep = await fetch(`${s.url}/chat`, {
      method: 'POST',
      body: `{"data":${nested(30_000)}}`,
    })
    expect(deep.status).toBe(500)
    expect((await fetch(`${s.url}/chat`, { method: 'POST', body: '{"data"' })).status).toBe(400)
    const trickled = await raw(
      s,
      'POST /live/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50\r\n\r\n{"da',
    )
    expect(trickled).toMatch(/^HTTP\/1\.1 408/)
    await raw(
      s,
      'POST /live/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50\r\n\r\n{"da',
      (peer) => setImmediate(() => peer.resetAndDestroy()),
    )

    // Malformed requests and upgrades.
    expect(
      await raw(s, 'GET http://x:99999/live/chat HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ).toMatch(/^HTTP\/1\.1 400/)
    expect(await raw(s, upgradeHead('Origin: https://evil.example\r\n'))).toMatch(/^HTTP\/1\.1 403/)
    expect(await raw(s, upgradeHead().replace('Host: 127.0.0.1', 'Host: evil.example'))).toMatch(
      /^HTTP\/1\.1 403/,
    )
    await raw(s, upgradeHead('Origin: https://evil.example\r\n'), (peer) => peer.resetAndDestroy())
    expect(
      await raw(s, `GET /live/chat HTTP/1.1\r\nHost: ${long}\r\nConnection: close\r\n\r\n`),
    ).toMatch(/^HTTP\/1\.1 403/)

    // The never-reading peer is cut: by the heartbeat, or once a whole history waits for it.
    const big = 'x'.repeat(1024)
    for (let i = 0; i < 3000; i++) {
      s.live.publish('flood', big)
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve))
    }

    // And a normal client is served.
    const sse = await openStream(`${s.url}/chat`)
    defer(() => sse.close())
    await sse.until((text) => text.includes('livedata.cursor'))
    const id = s.live.publish('chat', 'hello')
    expect(idsOf(await sse.until((text) => idsOf(text).length === 1))).toEqual([id])
    const normal = await socket(s)
    normal.send({ type: 'subscribe', channel: 'chat', lastEventId: null, replay: 1 })
    normal.send({ type: 'send', channel: 'chat', data: { text: 'hi' }, ref: 1 })
    await normal.until((f) => f.some((x) => x.type === 'ack'))
    expect(normal.frames.find((f) => f.type === 'message')?.data).toBe('hello')
    const post = await fetch(`${s.url}/chat`, { method: 'POST', body: '{"data":1}' })
    expect(post.status).toBe(204)

    // Every hostile peer was let go: only the two normal clients are held.
    while (s.live.stats().connections > 2) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(escaped).toEqual([])
    expect(s.reports.every((r) => r.error instanceof LiveServerError)).toBe(true)
    const codes = new Set(s.reports.map((r) => r.error.code))
    for (const code of [
      'ERR_INVALID_FRAME',
      'ERR_INVALID_HELLO',
      'ERR_BODY_TIMEOUT',
      'ERR_HOST',
      'ERR_ORIGIN',
      'ERR_LISTENER',
    ]) {
      expect(codes).toContain(code)
    }
  })
})
