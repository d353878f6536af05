import { once } from 'node:events'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createLiveServer, LiveServerError } from '../src/index'
import { dataOf, eventsOf, idsOf, openStream, type Started, testScope } from './helpers'

const { server, defer } = testScope()

async function stream(url: string, headers?: Record<string, string>) {
  const opened = await openStream(url, headers)
  defer(() => opened.close())
  return opened
}

describe('SSE endpoint', () => {
  it('answers with a text/event-stream that starts with the retry hint', async () => {
    const s = await server({ retry: 1234 })
    const sse = await stream(`${s.url}/prices`)
    expect(sse.response.status).toBe(200)
    expect(sse.response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    expect(sse.response.headers.get('cache-control')).toContain('no-cache')
    await sse.until((text) => text.startsWith('retry: 1234\n\n'))
  })

  it('sends each published message with its id and event', async () => {
    const s = await server()
    const sse = await stream(`${s.url}/prices`)
    await sse.until((text) => text.includes('retry'))
    const first = s.live.publish('prices', { p: 1 })
    const second = s.live.publish('prices', [2], { event: 'tick' })
    s.live.publish('other-channel', 'not for this stream')
    const text = await sse.until((t) => idsOf(t).length === 2)
    expect(text).toContain(`id: ${first}\ndata: {"p":1}\n\n`)
    expect(text).toContain(`id: ${second}\nevent: tick\ndata: [2]\n\n`)
    expect(dataOf(text)).toEqual([{ p: 1 }, [2]])
  })

  it('keeps payloads with line breaks on one data line', async () => {
    const s = await server()
    const sse = await stream(`${s.url}/text`)
    await sse.until((text) => text.includes('retry'))
    s.live.publish('text', 'a\nb\r\nc\u2028d')
    const text = await sse.until((t) => idsOf(t).length === 1)
    expect(dataOf(text)).toEqual(['a\nb\r\nc\u2028d'])
  })

  it('replays history after the Last-Event-ID header', async () => {
    const s = await server()
    const ids = [1, 2, 3, 4].map((n) => s.live.publish('seq', n))
    const sse = await stream(`${s.url}/seq`, { 'Last-Event-ID': ids[1] as string })
    const text = await sse.until((t) => idsOf(t).length === 2)
    expect(idsOf(text)).toEqual(ids.slice(2))
    expect(dataOf(text)).toEqual([3, 4])
    expect(text).not.toContain('livedata.gap')
  })

  it('replays history after the lastEventId query parameter', async () => {
    const s = await server()
    const ids = [1, 2, 3].map((n) => s.live.publish('seq', n))
    const sse = await stream(`${s.url}/seq?lastEventId=${ids[0]}`)
    const text = await sse.until((t) => idsOf(t).length === 2)
    expect(dataOf(text)).toEqual([2, 3])
  })

  it('sends nothing old to a client that starts fresh, only the cursor it stands at', async () => {
    const s = await server()
    const first = s.live.publish('seq', 1)
    const sse = await stream(`${s.url}/seq`)
    await sse.until((text) => text.includes('livedata.cursor'))
    s.live.publish('seq', 2)
    const text = await sse.until((t) => idsOf(t).length === 1)
    expect(dataOf(text)).toEqual([2])
    expect(eventsOf(text)[0]).toEqual({ id: first, event: 'livedata.cursor', data: '' })
  })

  it('signals a gap when history overflowed past the id, then replays what it has', async () => {
    const s = await server({ history: 3 })
    const ids = [1, 2, 3, 4, 5, 6].map((n) => s.live.publish('seq', n))
    const sse = await stream(`${s.url}/seq`, { 'Last-Event-ID': ids[0] as string })
    const text = await sse.until((t) => idsOf(t).length === 3)
    const gapAt = text.indexOf('event: livedata.gap\n')
    expect(gapAt).toBeGreaterThan(0)
    expect(gapAt).toBeLessThan(text.indexOf('id: '))
    const gap = eventsOf(text).find((event) => event.event === 'livedata.gap')
    expect(JSON.parse(gap?.data as string)).toEqual({ lastEventId: ids[0], oldest: ids[3] })
    expect(dataOf(text)).toEqual([4, 5, 6])
  })

  it('signals a gap for an id it never issued', async () => {
    const s = await server()
    s.live.publish('seq', 1)
    const sse = await stream(`${s.url}/seq`, { 'Last-Event-ID': 'not-an-id' })
    const text = await sse.until((t) => idsOf(t).length === 1)
    expect(text).toContain('event: livedata.gap')
  })

  it('writes heartbeat comments', async () => {
    const s = await server({ heartbeat: 20 })
    const sse = await stream(`${s.url}/quiet`)
    await sse.until((text) => text.split(':\n\n').length > 3)
  })

  it('closes a client that cannot keep up, so it resumes later instead of growing a buffer', async () => {
    // The server has the request once authorize is asked; it ends it by destroying the socket.
    let closed!: Promise<unknown>
    let subscribed!: () => void
    const asked = new Promise<void>((resolve) => {
      subscribed = resolve
    })
    const reports: Array<{ code: string; transport?: string; channel?: string }> = []
    const s = await server({
      maxBufferedBytes: 64 * 1024,
      onError: (error, context) => {
        reports.push({ code: error.code, transport: context.transport, channel: context.channel })
      },
      authorize: ({ request }) => {
        closed = once(request.socket, 'close')
        subscribed()
        return true
      },
    })
    httpRequest(`${s.url}/flood`, (res) => {
      res.pause() // read nothing: the socket fills up, then the backlog
    }).end()
    await asked
    const big = 'x'.repeat(16 * 1024)
    for (let i = 0; i < 2000; i++) {
      s.live.publish('flood', big)
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    await closed
    // Reported once, as the WebSocket's cuts are: the operator sees why the client dropped.
    expect(reports).toEqual([{ code: 'ERR_SLOW_CLIENT', transport: 'sse', channel: 'flood' }])
  })

  it('ends open streams on close()', async () => {
    const s = await server()
    const sse = await stream(`${s.url}/prices`)
    await sse.until((text) => text.includes('retry'))
    await s.live.close()
    await sse.ended
    expect(idsOf(sse.text)).toEqual([])
  })
})

describe('Origin checks', () => {
  it('refuses an origin not on the list with 403 and says how to fix it', async () => {
    const s = await server({ origins: ['https://app.example.com'] })
    const response = await fetch(`${s.url}/prices`, { headers: { Origin: 'https://evil.example' } })
    expect(response.status).toBe(403)
    const body = (await response.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('ERR_ORIGIN')
    expect(body.error.message).toContain('https://evil.example')
  })

  it('answers a refused origin with CORS headers, so that the page can read why, and reports it', async () => {
    const s = await server({ origins: ['https://app.example.com'] })
    const response = await fetch(`${s.url}/prices?transport=polling`, {
      headers: { Origin: 'https://evil.example' },
    })
    expect(response.status).toBe(403)
    expect(response.headers.get('access-control-allow-origin')).toBe('https://evil.example')
    expect(response.headers.get('access-control-allow-credentials')).toBe('true')
    expect(response.headers.get('vary')).toBe('Origin')
    expect(await response.json()).toMatchObject({ error: { code: 'ERR_ORIGIN' } })
    expect(s.reports).toEqual([
      expect.objectContaining({
        error: expect.objectContaining({ code: 'ERR_ORIGIN' }),
        context: expect.objectContaining({ client: true }),
      }),
    ])
  })

  it('every error answer is JSON that is not sniffed nor cached, quoting at most 200 characters', async () => {
    const s = await server({ origins: ['https://app.example.com'] })
    const long = 'a'.repeat(10_000)
    const answers = [
      await fetch(`${s.url}/prices`, { headers: { Origin: `https://${long}.example` } }),
      await fetch(`${s.url}/${long}`),
      await fetch(`${s.url}/prices?transport=${long}`),
      await fetch(`${s.url}/chat`, {
        method: 'POST',
        body: JSON.stringify({ data: 1, event: `a\n${long}` }),
      }),
      await fetch(`${s.url}/chat`, { method: 'POST', body: JSON.stringify(long) }),
    ]
    for (const response of answers) {
      expect(response.status).toBeGreaterThanOrEqual(400)
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('cache-control')).toBe('no-store')
      const { error } = (await response.json()) as { error: { code: string; message: string } }
      expect(error.message.length).toBeLessThan(400)
      expect(error.message).not.toContain('a'.repeat(201))
    }
  })

  it('accepts an origin on the list and answers with CORS headers', async () => {
    const s = await server({ origins: ['https://app.example.com', /^https:\/\/.*\.test$/] })
    const sse = await stream(`${s.url}/prices`, { Origin: 'https://app.example.com' })
    expect(sse.response.status).toBe(200)
    expect(sse.response.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    const matched = await stream(`${s.url}/prices`, { Origin: 'https://a.b.test' })
    expect(matched.response.status).toBe(200)
  })

  it('by default accepts only its own origin', async () => {
    const s = await server()
    const own = await stream(`${s.url}/prices`, { Origin: s.origin })
    expect(own.response.status).toBe(200)
    const other = await fetch(`${s.url}/prices`, { headers: { Origin: 'http://localhost:1' } })
    expect(other.status).toBe(403)
  })

  it('refuses a hostile origin on a send too, and the listener never sees it', async () => {
    const s = await server({ origins: ['https://app.example.com'] })
    const seen: unknown[] = []
    s.live.on('message', (_channel, data) => seen.push(data))
    const response = await fetch(`${s.url}/chat`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example', 'Content-Type': 'application/json' },
      body: JSON.stringify({ data: 'steal' }),
    })
    expect(response.status).toBe(403)
    expect(seen).toEqual([])
  })

  it('answers a preflight from an allowed origin', async () => {
    const s = await server({ origins: ['https://app.example.com'] })
    const response = await fetch(`${s.url}/chat`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example.com',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type, authorization',
      },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-methods')).toContain('POST')
    expect(response.headers.get('access-control-allow-headers')).toBe('content-type, authorization')
  })
})

describe('sends from clients', () => {
  const post = (url: string, body: string, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body,
    })

  it('hands a valid send to the message listeners', async () => {
    const s = await server()
    const seen: unknown[] = []
    s.live.on('message', (channel, data, context) =>
      seen.push({ channel, data, event: context.event }),
    )
    const response = await post(
      `${s.url}/chat`,
      JSON.stringify({ data: { text: 'hi' }, event: 'say' }),
    )
    expect(response.status).toBe(204)
    expect(seen).toEqual([{ channel: 'chat', data: { text: 'hi' }, event: 'say' }])
  })

  it('answers invalid JSON with 400 ERR_INVALID_JSON', async () => {
    const s = await server()
    const response = await post(`${s.url}/chat`, '{"data": ')
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: { code: 'ERR_INVALID_JSON' } })
  })

  it('answers a body without data with 400 and the expected shape', async () => {
    const s = await server()
    const response = await post(`${s.url}/chat`, '[1,2]')
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: { message: string } }
    expect(body.error.message).toContain('{"data": ..., "event"?: "name"}')
  })

  it('answers an oversized body with 413 and never hands it on', async () => {
    const s = await server({ maxPayload: 1024 })
    const seen: unknown[] = []
    s.live.on('message', (_c, data) => seen.push(data))
    const response = await post(`${s.url}/chat`, JSON.stringify({ data: 'x'.repeat(5000) }))
    expect(response.status).toBe(413)
    expect(seen).toEqual([])
  })

  it('asks authorize, and answers 403 when it says no', async () => {
    const asked: string[] = []
    const s = await server({
      authorize: ({ channel, action }) => {
        asked.push(`${action}:${channel}`)
        return channel !== 'secret'
      },
    })
    expect((await post(`${s.url}/secret`, '{"data":1}')).status).toBe(403)
    expect((await fetch(`${s.url}/secret`)).status).toBe(403)
    expect(asked).toEqual(['send:secret', 'subscribe:secret'])
  })
})

describe('routing and misuse', () => {
  it('leaves requests outside its path to the server’s other listeners', async () => {
    const s = await server({}, (_req, res) => res.end('app'))
    expect(await (await fetch(`${s.origin}/about`)).text()).toBe('app')
  })

  it('answers a malformed channel name with 404 and the rule', async () => {
    const s = await server()
    const response = await fetch(`${s.url}/${encodeURIComponent('bad channel!')}`)
    expect(response.status).toBe(404)
    expect(await response.text()).toContain('Channel names are 1 to 256 characters')
  })

  it('answers an unsupported method with 405', async () => {
    const s = await server()
    const response = await fetch(`${s.url}/prices`, { method: 'DELETE' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, POST, OPTIONS')
  })

  it.each([
    ['an empty channel', () => createLiveServer().publish('', 1), 'ERR_INVALID_CHANNEL'],
    ['a channel with a space', () => createLiveServer().publish('a b', 1), 'ERR_INVALID_CHANNEL'],
    [
      'a reserved event',
      () => createLiveServer().publish('ok', 1, { event: 'livedata.gap' }),
      'ERR_INVALID_EVENT',
    ],
    [
      'an event with a line break',
      () => createLiveServer().publish('ok', 1, { event: 'a\nb' }),
      'ERR_INVALID_EVENT',
    ],
    ['undefined', () => createLiveServer().publish('ok', undefined), 'ERR_INVALID_PAYLOAD'],
    ['a BigInt', () => createLiveServer().publish('ok', 10n), 'ERR_INVALID_PAYLOAD'],
    [
      'a payload over maxPayload',
      () => createLiveServer({ maxPayload: 10 }).publish('ok', 'x'.repeat(20)),
      'ERR_PAYLOAD_TOO_LARGE',
    ],
    ['a negative history', () => createLiveServer({ history: -1 }), 'ERR_INVALID_OPTIONS'],
    ['a relative path', () => createLiveServer({ path: 'live' }), 'ERR_INVALID_OPTIONS'],
    [
      'a malformed origin',
      () => createLiveServer({ origins: ['not an origin'] }),
      'ERR_INVALID_OPTIONS',
    ],
  ])('%s throws LiveServerError', (_name, misuse, code) => {
    expect(misuse).toThrow(LiveServerError)
    try {
      misuse()
    } catch (error) {
      expect((error as LiveServerError).code).toBe(code)
    }
  })

  it('a circular payload throws and the channel carries on', async () => {
    const s = await server()
    const circular: Record<string, unknown> = {}
    circular.self = circular
    expect(() => s.live.publish('c', circular)).toThrow(/cannot be serialized/)
    expect(s.live.publish('c', 1)).toMatch(/^\d+-\d+$/)
  })
})

describe('hostile requests', () => {
  const raw = async (s: Started, text: string): Promise<string> => {
    const { connect } = await import('node:net')
    const port = Number(new URL(s.origin).port)
    const socket = connect(port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write(text)
    let answer = ''
    socket.on('data', (chunk) => {
      answer += chunk
    })
    await new Promise((resolve) => socket.once('close', resolve))
    return answer
  }

  it('a request target no URL parser takes is a 400, and the server lives on', async () => {
    const s = await server()
    const answer = await raw(
      s,
      'GET http://x:99999/live/prices HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )
    expect(answer).toMatch(/^HTTP\/1\.1 400/)
    const upgrade = await raw(
      s,
      'GET http://x:99999/live HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    )
    expect(upgrade).toMatch(/^HTTP\/1\.1 400/)
    expect((await fetch(`${s.url}/prices?transport=polling`)).status).toBe(200)
  })

  it('a malformed request target outside the path is left to the app: handle() returns false', async () => {
    const live = createLiveServer({ onError: () => {} })
    const handled: boolean[] = []
    const http = createServer((request, response) => {
      const mine = live.handle(request, response)
      handled.push(mine)
      if (!mine) response.end('the app')
    })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
    try {
      const answer = await raw(
        { origin } as Started,
        'GET // HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
      )
      expect(answer).toMatch(/^HTTP\/1\.1 200/)
      expect(answer).toContain('the app')
      expect(handled).toEqual([false])
    } finally {
      await live.close()
      http.closeAllConnections()
      await new Promise((resolve) => http.close(resolve))
    }
  })

  it('attach passes a malformed target to the other listeners, and answers it 400 only without one', async () => {
    const target = 'GET // HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
    const withApp = await server({}, (_request, response) => response.end('the app'))
    const answer = await raw(withApp, target)
    expect(answer).toMatch(/^HTTP\/1\.1 200/)
    expect(answer).toContain('the app')
    const alone = await server()
    const refused = await raw(alone, target)
    expect(refused).toMatch(/^HTTP\/1\.1 400/)
    expect(refused).toContain('ERR_INVALID_REQUEST')
  })

  it('a client that resets a refused upgrade does not take the server down', async () => {
    const s = await server({ origins: ['https://app.example.com'] })
    const { connect } = await import('node:net')
    for (let i = 0; i < 20; i++) {
      const socket = connect(Number(new URL(s.origin).port), '127.0.0.1')
      await new Promise((resolve) => socket.once('connect', resolve))
      socket.write(
        'GET /live HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      )
      socket.resetAndDestroy()
    }
    expect((await fetch(`${s.url}/prices?transport=polling`)).status).toBe(200)
  })

  it('an iframe origin that only passes the allow-list before normalizing is refused', async () => {
    const s = await server({ origins: [/\.example\.com$/] })
    const sneaky = encodeURIComponent('https://evil.com\\.example.com')
    const response = await fetch(`${s.url}/f?transport=iframe&origin=${sneaky}&nonce=abcdefgh12`)
    expect(response.status).toBe(400)
  })

  it("origins '*' lets any page read, without the user's credentials", async () => {
    const s = await server({ origins: '*' })
    const response = await fetch(`${s.url}/p?transport=polling`, {
      headers: { Origin: 'https://anyone.example' },
    })
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('access-control-allow-credentials')).toBeNull()
  })
})

describe('message listeners', () => {
  it('every listener runs; an async one is awaited and its failure is a 500, not a crash', async () => {
    const s = await server()
    const order: string[] = []
    s.live.on('message', async () => {
      await new Promise((resolve) => setImmediate(resolve))
      order.push('async')
      throw new Error('the database said no')
    })
    s.live.on('message', () => {
      order.push('sync')
    })
    const response = await fetch(`${s.url}/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"data":1}',
    })
    expect(response.status).toBe(500)
    expect(order.sort()).toEqual(['async', 'sync'])
  })
})
