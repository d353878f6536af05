import { afterEach, describe, expect, it } from 'vitest'
import { createLiveServer, type LiveServer, type LiveServerOptions } from '../src/index'
import type { Report } from './helpers'

// live.fetch is a function of a Request: these tests call it directly, no network in between.

const BASE = 'http://localhost/live'
const servers: LiveServer[] = []

afterEach(async () => {
  for (const live of servers.splice(0)) await live.close()
})

/** A live server whose reports are kept, closed after the test. */
function server(options: LiveServerOptions = {}) {
  const reports: Report[] = []
  const live = createLiveServer({
    onError: (error, context) => reports.push({ error, context }),
    ...options,
  })
  servers.push(live)
  return { live, reports }
}

/** Reads a streamed body until its text passes `test`. */
function reader(response: Response) {
  const body = response.body
  if (body === null) throw new Error('the answer has no body')
  const stream = body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  return {
    async until(test: (text: string) => boolean): Promise<string> {
      while (!test(text)) {
        const { done, value } = await stream.read()
        if (done) throw new Error(`the stream ended before it said what was awaited: ${text}`)
        text += decoder.decode(value, { stream: true })
      }
      return text
    },
    cancel: () => stream.cancel(),
  }
}

const idsOf = (text: string): string[] =>
  [...text.matchAll(/^id: (.+)$/gm)].map((match) => match[1] as string)

describe('live.fetch over SSE', () => {
  it('streams published messages with their ids, and resumes after an id from c=x!<id>', async () => {
    const { live, reports } = server()
    const first = await live.fetch(new Request(`${BASE}?transport=sse&c=x`))
    expect(first.status).toBe(200)
    expect(first.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const sse = reader(first)
    await sse.until((text) => text.includes('event: !cursor'))
    const a = live.publish('x', 'a')
    const b = live.publish('x', 'b')
    const text = await sse.until((t) => idsOf(t).length === 2)
    expect(idsOf(text)).toEqual([a, b])
    expect(text).toContain('event: x\ndata: "a"')
    await sse.cancel()
    const c = live.publish('x', 'c')

    const again = reader(
      await live.fetch(new Request(`${BASE}?transport=sse&c=${encodeURIComponent(`x!${a}`)}`)),
    )
    const d = live.publish('x', 'd')
    const resumed = await again.until((t) => idsOf(t).length === 3)
    expect(idsOf(resumed)).toEqual([b, c, d])
    await again.cancel()
    expect(reports).toEqual([])
  })
})

describe('live.fetch flow control', () => {
  it('holds what the stream cannot take and writes it as the consumer reads: all of it, in order', async () => {
    const { live, reports } = server({ maxBufferedBytes: 8 * 1024, history: 1000 })
    const sse = reader(await live.fetch(new Request(`${BASE}/burst`)))
    await sse.until((text) => text.includes('retry:'))
    const kilobyte = 'x'.repeat(1024)
    // 600 KiB in one tick: far past the stream's 8 KiB, so most of it waits for pulls.
    const ids = Array.from({ length: 600 }, () => live.publish('burst', kilobyte))
    const published = new Set(ids)
    // The fresh subscription's cursor (its own id) came first: only messages are counted.
    const messageIds = (t: string) => idsOf(t).filter((id) => published.has(id))
    const text = await sse.until((t) => messageIds(t).length >= 600)
    expect(messageIds(text)).toEqual(ids)
    await sse.cancel()
    expect(reports).toEqual([])
  })
})

describe('live.fetch and close()', () => {
  it('cuts open streams and held polls, and answers later requests 503 ERR_CLOSED', async () => {
    const { live } = server()
    const handler = live.fetch // unbound, as a route handler export takes it
    const sse = reader(await handler(new Request(`${BASE}/x`)))
    await sse.until((text) => text.includes('retry:'))
    const a = live.publish('x', 'a')
    const held = await handler(new Request(`${BASE}/x?transport=long-polling&lastEventId=${a}`))
    const heldBody = held.text()
    expect(live.stats().connections).toBe(2)
    await live.close()
    await expect(sse.until(() => false)).rejects.toThrow('was cut')
    await expect(heldBody).rejects.toThrow('was cut')
    const late = await handler(new Request(`${BASE}/x?transport=polling`))
    expect(late.status).toBe(503)
  })
})

describe('live.fetch over (long) polling', () => {
  it('holds a long poll with nothing new, and answers it with the next message', async () => {
    const { live } = server()
    const a = live.publish('x', 'a')
    const response = await live.fetch(
      new Request(`${BASE}/x?transport=long-polling&lastEventId=${a}`),
    )
    // The head is out (the client knows it is through); the body waits for a message.
    expect(response.status).toBe(200)
    expect(live.stats().connections).toBe(1)
    const body = response.json() as Promise<{ cursor: string; messages: Array<{ id: string }> }>
    const b = live.publish('x', 'b')
    const answer = await body
    expect(answer.cursor).toBe(b)
    expect(answer.messages).toEqual([{ id: b, data: 'b' }])
    expect(live.stats().connections).toBe(0)
  })

  it('answers a poll at once, with what came after the id', async () => {
    const { live } = server()
    const a = live.publish('x', 'a')
    const b = live.publish('x', 'b')
    const response = await live.fetch(new Request(`${BASE}/x?transport=polling&lastEventId=${a}`))
    expect(response.status).toBe(200)
    expect(response.headers.get('etag')).toBe(`"${b}"`)
    expect(await response.json()).toEqual({
      cursor: b,
      gap: false,
      retry: 1000,
      messages: [{ id: b, data: 'b' }],
    })
    expect(live.stats().connections).toBe(0)
  })
})

describe('live.fetch over the iframe', () => {
  const page = 'https://app.example.com'
  const iframe = (query: string) =>
    new Request(`${BASE}/f?transport=iframe&${query}`, { headers: { Origin: page } })

  it('streams a document that posts each message, with its id, to the page origin', async () => {
    const { live, reports } = server({ origins: [page] })
    const response = await live.fetch(iframe(`origin=${encodeURIComponent(page)}&nonce=abcdefgh12`))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(response.headers.get('content-security-policy')).toContain(`frame-ancestors ${page}`)
    const frame = reader(response)
    await frame.until((text) => text.includes('"t":"o"'))
    const id = live.publish('f', { text: '</script>' })
    const text = await frame.until((t) => t.includes('"t":"m"'))
    expect(text).toContain(`parent.postMessage(m,"${page}")`)
    expect(text).toContain(`"id":"${id}"`)
    expect(text).toContain('\\u003c/script\\u003e')
    await frame.cancel()
    expect(live.stats().connections).toBe(0)
    expect(reports).toEqual([])
  })

  it('refuses a page origin it does not allow (403) and a request without a nonce (400)', async () => {
    const { live } = server({ origins: [page] })
    const evil = await live.fetch(iframe('origin=https%3A%2F%2Fevil.example&nonce=abcdefgh12'))
    expect(evil.status).toBe(403)
    expect(((await evil.json()) as { error: { code: string } }).error.code).toBe('ERR_ORIGIN')
    const noNonce = await live.fetch(iframe(`origin=${encodeURIComponent(page)}`))
    expect(noNonce.status).toBe(400)
  })
})

describe('live.fetch sends and checks', () => {
  it('hands a POST send to the message listeners and answers 204', async () => {
    const { live, reports } = server()
    const received: Array<{ channel: string; data: unknown; event?: string; key?: string }> = []
    live.on('message', (channel, data, context) => {
      received.push({ channel, data, event: context.event, key: context.key })
    })
    const response = await live.fetch(
      new Request(`${BASE}/chat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k-1' },
        body: JSON.stringify({ data: { text: 'hi' }, event: 'say' }),
      }),
    )
    expect(response.status).toBe(204)
    expect(received).toEqual([{ channel: 'chat', data: { text: 'hi' }, event: 'say', key: 'k-1' }])
    expect(reports).toEqual([])
  })

  it('answers a CORS preflight 204 with the methods and the headers asked for', async () => {
    const { live } = server({ origins: ['https://app.example.com'] })
    const response = await live.fetch(
      new Request(`${BASE}/chat`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://app.example.com',
          'Access-Control-Request-Headers': 'content-type, idempotency-key',
        },
      }),
    )
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS')
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'content-type, idempotency-key',
    )
  })

  it('refuses an Origin not on the list with 403 ERR_ORIGIN, readable by the page, and reports it', async () => {
    const { live, reports } = server({ origins: ['https://app.example.com'] })
    const response = await live.fetch(
      new Request(`${BASE}/prices?transport=polling`, {
        headers: { Origin: 'https://evil.example' },
      }),
    )
    expect(response.status).toBe(403)
    expect(response.headers.get('access-control-allow-origin')).toBe('https://evil.example')
    const body = (await response.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('ERR_ORIGIN')
    expect(body.error.message).toContain('https://evil.example')
    expect(reports.map((r) => [r.error.code, r.context.client])).toEqual([['ERR_ORIGIN', true]])
  })

  it('refuses a streamed send once it passes maxPayload: 413 ERR_PAYLOAD_TOO_LARGE, without waiting for its end', async () => {
    const { live, reports } = server({ maxPayload: 1024 })
    const received: unknown[] = []
    live.on('message', (_channel, data) => {
      received.push(data)
    })
    const big = JSON.stringify({ data: 'x'.repeat(4096) })
    // A streamed body declares no length and, here, never ends: the limit holds as it is read.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big))
      },
    })
    const response = await live.fetch(
      new Request(`${BASE}/chat`, { method: 'POST', body, duplex: 'half' } as RequestInit),
    )
    expect(response.status).toBe(413)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'ERR_PAYLOAD_TOO_LARGE',
    )
    expect(received).toEqual([])
    expect(reports.map((r) => r.error.code)).toEqual(['ERR_PAYLOAD_TOO_LARGE'])
  })

  it("answers a send whose body was read before it 400 ERR_BODY_CONSUMED, the client's fault, and one given up on with Connection: close", async () => {
    const { live, reports } = server({ maxPayload: 1024, bodyTimeout: 50 })
    const read = new Request(`${BASE}/chat`, { method: 'POST', body: '{"data":1}' })
    await read.json()
    const consumed = await live.fetch(read)
    expect(consumed.status).toBe(400)
    expect(await consumed.json()).toMatchObject({ error: { code: 'ERR_BODY_CONSUMED' } })
    expect(reports.map((r) => [r.error.code, r.context.client])).toEqual([
      ['ERR_BODY_CONSUMED', true],
    ])
    // A body that never ends: refused at bodyTimeout, and the connection asked to close.
    let cancelled = false
    const endless = new ReadableStream<Uint8Array>({
      cancel() {
        cancelled = true
      },
    })
    const slow = await live.fetch(
      new Request(`${BASE}/chat`, { method: 'POST', body: endless, duplex: 'half' } as RequestInit),
    )
    expect(slow.status).toBe(408)
    expect(slow.headers.get('connection')).toBe('close')
    // Given up on, the body is cancelled: nothing reads it on.
    expect(cancelled).toBe(true)
  })

  it('settles, and subscribes nothing, when the client leaves while authorize runs', async () => {
    let allow!: (verdict: boolean) => void
    let asked!: () => void
    const asking = new Promise<void>((resolve) => {
      asked = resolve
    })
    const { live } = server({
      authorize: () =>
        new Promise<boolean>((decide) => {
          allow = decide
          asked()
        }),
    })
    const controller = new AbortController()
    const answer = live.fetch(new Request(`${BASE}/x`, { signal: controller.signal }))
    await asking
    controller.abort()
    allow(true)
    expect((await answer).status).toBe(499)
    await new Promise((resolve) => setImmediate(resolve))
    expect(live.stats().connections).toBe(0)
  })

  it('holds the Host header to allowedHosts: 403 ERR_HOST for a name not on the list', async () => {
    const { live } = server({ allowedHosts: ['app.example.com'] })
    const refused = await live.fetch(
      new Request(`${BASE}/x?transport=polling`, { headers: { Host: 'evil.example' } }),
    )
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('ERR_HOST')
    const served = await live.fetch(
      new Request(`${BASE}/x?transport=polling`, { headers: { Host: 'app.example.com' } }),
    )
    expect(served.status).toBe(200)
  })

  it('cuts an SSE stream whose consumer never reads, and reports ERR_SLOW_CLIENT once', async () => {
    const { live, reports } = server({ maxBufferedBytes: 64 * 1024 })
    // Never read: the stream's queue fills up to maxBufferedBytes, then the backlog.
    const response = await live.fetch(new Request(`${BASE}/flood`))
    expect(response.status).toBe(200)
    const big = 'x'.repeat(16 * 1024)
    for (let i = 0; i < 2000 && live.stats().connections > 0; i++) live.publish('flood', big)
    expect(live.stats().connections).toBe(0)
    expect(reports.map((r) => [r.error.code, r.context.transport, r.context.channel])).toEqual([
      ['ERR_SLOW_CLIENT', 'sse', 'flood'],
    ])
    // The consumer sees the stream fail (a cut: it resumes from its ids), not end quietly.
    const text = response.text()
    await expect(text).rejects.toThrow()
  })
})
