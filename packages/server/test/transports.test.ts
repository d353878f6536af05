import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { arrivals, type Started, testScope } from './helpers'

const { server, defer } = testScope()

interface PollAnswer {
  cursor: string
  gap: boolean
  retry: number
  messages: Array<{ id: string; event?: string; data: unknown }>
}

const poll = async (url: string, headers: Record<string, string> = {}) => {
  const response = await fetch(url, { headers })
  return {
    response,
    body: response.status === 200 ? ((await response.json()) as PollAnswer) : null,
  }
}

describe('polling', () => {
  it('answers at once with the messages after the id and the cursor', async () => {
    const s = await server()
    const ids = [1, 2, 3].map((n) => s.live.publish('p', n, n === 3 ? { event: 'last' } : {}))
    const { body } = await poll(`${s.url}/p?transport=polling&lastEventId=${ids[0]}`)
    expect(body).toEqual({
      cursor: ids[2],
      gap: false,
      retry: 1000,
      messages: [
        { id: ids[1], data: 2 },
        { id: ids[2], event: 'last', data: 3 },
      ],
    })
  })

  it('gives a fresh client its cursor and nothing old', async () => {
    const s = await server()
    const id = s.live.publish('p', 1)
    const { body } = await poll(`${s.url}/p?transport=polling`)
    expect(body).toMatchObject({ cursor: id, messages: [] })
    const empty = await poll(`${s.url}/empty?transport=polling`)
    expect(empty.body).toMatchObject({ cursor: '0-0', messages: [] })
  })

  it('answers 304 when nothing came since the ETag the client holds', async () => {
    const s = await server()
    const id = s.live.publish('p', 1)
    const first = await poll(`${s.url}/p?transport=polling&lastEventId=${id}`)
    const etag = first.response.headers.get('etag') as string
    expect(etag).toBe(`"${id}"`)
    const again = await poll(`${s.url}/p?transport=polling&lastEventId=${id}`, {
      'If-None-Match': etag,
    })
    expect(again.response.status).toBe(304)
    s.live.publish('p', 2)
    const changed = await poll(`${s.url}/p?transport=polling&lastEventId=${id}`, {
      'If-None-Match': etag,
    })
    expect(changed.body?.messages.map((m) => m.data)).toEqual([2])
  })

  it('resuming from 0-0 replays all of history without a gap, until history drops something', async () => {
    const s = await server({ history: 2 })
    s.live.publish('p', 1)
    expect((await poll(`${s.url}/p?transport=polling&lastEventId=0-0`)).body?.gap).toBe(false)
    s.live.publish('p', 2)
    s.live.publish('p', 3)
    const { body } = await poll(`${s.url}/p?transport=polling&lastEventId=0-0`)
    expect(body?.gap).toBe(true)
    expect(body?.messages.map((m) => m.data)).toEqual([2, 3])
  })
})

describe('long polling', () => {
  it('holds the request until a message is published, and sends a burst together', async () => {
    const arrived = arrivals()
    const s = await server({ authorize: arrived.authorize })
    const id = s.live.publish('lp', 0)
    const held = arrived.next()
    const pending = poll(`${s.url}/lp?transport=long-polling&lastEventId=${id}`)
    await held
    s.live.publish('lp', 1)
    s.live.publish('lp', 2)
    const { body } = await pending
    expect(body?.messages.map((m) => m.data)).toEqual([1, 2])
    expect(body?.cursor).toBe(body?.messages[1]?.id)
  })

  it('answers empty with the same cursor when nothing comes within longPollTimeout', async () => {
    const s = await server({ longPollTimeout: 30 })
    const id = s.live.publish('lp', 0)
    const { body } = await poll(`${s.url}/lp?transport=long-polling&lastEventId=${id}`)
    expect(body).toMatchObject({ cursor: id, gap: false, messages: [] })
  })
})

describe('iframe', () => {
  const iframeUrl = (s: Started, query: string) => `${s.url}/f?transport=iframe&${query}`

  it('streams a document that posts each message to the page origin, script-safe', async () => {
    const s = await server()
    const controller = new AbortController()
    defer(() => controller.abort())
    const response = await fetch(
      iframeUrl(s, `origin=${encodeURIComponent(s.origin)}&nonce=abcdefgh12`),
      {
        signal: controller.signal,
      },
    )
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const csp = response.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'none'")
    expect(csp).toMatch(/script-src 'nonce-[\w+/=]+'/)
    expect(csp).toContain(`frame-ancestors ${s.origin}`)
    s.live.publish('f', { text: '</script><!-- \u2028' })
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    while (!text.includes('"t":"m"')) {
      const { value } = await reader.read()
      text += new TextDecoder().decode(value)
    }
    expect(text).toContain(`parent.postMessage(m,"${s.origin}")`)
    expect(text).toContain('m.n="abcdefgh12"')
    expect(text).toContain('\\u003c/script\\u003e\\u003c!-- \\u2028')
    // Only the document's own closing tags: no payload ever ends a script.
    const scripts = text.match(/<script nonce="[^"]+">/g) ?? []
    expect(text.split('</script>').length - 1).toBe(scripts.length)
  })

  it('refuses an origin it does not allow, and a malformed request', async () => {
    const s = await server({ origins: ['https://app.example.com'] })
    const evil = await fetch(iframeUrl(s, 'origin=https%3A%2F%2Fevil.example&nonce=abcdefgh12'))
    expect(evil.status).toBe(403)
    const noNonce = await fetch(iframeUrl(s, 'origin=https%3A%2F%2Fapp.example.com'))
    expect(noNonce.status).toBe(400)
    const badNonce = await fetch(
      iframeUrl(s, 'origin=https%3A%2F%2Fapp.example.com&nonce=%22%3E%3Cscript%3E'),
    )
    expect(badNonce.status).toBe(400)
  })
})

describe('WebSocket', () => {
  async function socket(s: Started, headers: Record<string, string> = {}) {
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}`, { headers })
    defer(() => ws.terminate())
    const frames: Array<Record<string, unknown>> = []
    const waiters: Array<() => void> = []
    ws.on('message', (data) => {
      frames.push(JSON.parse(String(data)))
      for (const wake of waiters.splice(0)) wake()
    })
    await once(ws, 'open')
    return {
      ws,
      frames,
      send: (frame: unknown) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
      async until(test: (frames: Array<Record<string, unknown>>) => boolean) {
        while (!test(frames)) await new Promise<void>((resolve) => waiters.push(resolve))
      },
    }
  }

  it('subscribes, replays after the id, delivers, and acknowledges sends', async () => {
    const s = await server()
    const seen: unknown[] = []
    s.live.on('message', (channel, data, context) => seen.push([channel, data, context.transport]))
    const first = s.live.publish('w', 1)
    s.live.publish('w', 2)
    const client = await socket(s)
    client.send({ type: 'subscribe', channel: 'w', lastEventId: first })
    await client.until((f) => f.some((x) => x.type === 'message'))
    s.live.publish('w', 3)
    client.send({ type: 'send', channel: 'w', data: { hi: 1 }, ref: 7 })
    await client.until((f) => f.some((x) => x.type === 'ack'))
    await client.until((f) => f.filter((x) => x.type === 'message').length === 2)
    expect(client.frames.map((f) => f.type)).toEqual(['subscribed', 'message', 'message', 'ack'])
    expect(client.frames[0]).toEqual({ type: 'subscribed', channel: 'w' })
    expect(client.frames.filter((f) => f.type === 'message').map((f) => f.data)).toEqual([2, 3])
    expect(seen).toEqual([['w', { hi: 1 }, 'websocket']])
  })

  it('answers malformed frames with an error frame and keeps the socket', async () => {
    const s = await server()
    const client = await socket(s)
    client.send('not json')
    client.send({ type: 'dance', channel: 'w' })
    client.send({ type: 'subscribe', channel: 'bad channel!' })
    client.send({ type: 'send', channel: 'w', data: 1 })
    await client.until((f) => f.length === 4)
    expect(client.frames.map((f) => f.code)).toEqual(Array(4).fill('ERR_INVALID_FRAME'))
    client.send({ type: 'subscribe', channel: 'w' })
    await client.until((f) => f.some((x) => x.type === 'subscribed'))
  })

  it('refuses a subscription authorize denies, with the channel', async () => {
    const s = await server({ authorize: ({ channel }) => channel !== 'secret' })
    const client = await socket(s)
    client.send({ type: 'subscribe', channel: 'secret' })
    await client.until((f) => f.length === 1)
    expect(client.frames[0]).toMatchObject({
      type: 'error',
      code: 'ERR_FORBIDDEN',
      channel: 'secret',
    })
  })

  it('refuses the upgrade from an origin it does not allow', async () => {
    const s = await server({ origins: ['https://app.example.com'] })
    const ws = new WebSocket(s.url.replace('http', 'ws'), {
      headers: { Origin: 'https://evil.example' },
    })
    const [, response] = (await once(ws, 'unexpected-response')) as [
      unknown,
      { statusCode: number },
    ]
    expect(response.statusCode).toBe(403)
  })

  it('refuses the upgrade when WebSocket is not offered, and answers 404 for other transports not offered', async () => {
    const s = await server({ transports: ['sse'] })
    const ws = new WebSocket(s.url.replace('http', 'ws'))
    const [, response] = (await once(ws, 'unexpected-response')) as [
      unknown,
      { statusCode: number },
    ]
    expect(response.statusCode).toBe(404)
    const polling = await fetch(`${s.url}/p?transport=polling`)
    expect(polling.status).toBe(404)
    expect(await polling.json()).toMatchObject({ error: { code: 'ERR_TRANSPORT' } })
  })
})

describe('flow control', () => {
  it('replays a history far larger than maxBufferedBytes in full, over SSE and WebSocket', async () => {
    const s = await server({ maxBufferedBytes: 16 * 1024, history: 500 })
    const big = 'x'.repeat(4096)
    const first = s.live.publish('big', { n: 0, big })
    for (let n = 1; n < 500; n++) s.live.publish('big', { n, big })
    // About 2 MB to replay through a 16 KiB buffer: it flows as the socket drains.
    const sse = await fetch(`${s.url}/big?lastEventId=${first}`)
    const reader = (sse.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let text = ''
    let count = 0
    while (count < 499) {
      const { value, done } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
      count = text.split('\nid: ').length - 1
    }
    expect(count).toBe(499)
    await reader.cancel()

    const ws = new WebSocket(s.url.replace('http', 'ws'))
    defer(() => ws.terminate())
    await once(ws, 'open')
    let received = 0
    const all = new Promise<void>((resolve) =>
      ws.on('message', (data) => {
        if (String(data).startsWith('{"type":"message"') && ++received === 499) resolve()
      }),
    )
    ws.send(JSON.stringify({ type: 'subscribe', channel: 'big', lastEventId: first }))
    await all
  })
})

describe('channels clients make up', () => {
  it('long polls answered at once leave no channel behind: 2,000 of them, none kept', async () => {
    const s = await server()
    const queries = [
      '', // no id: answered with the cursor
      '&lastEventId=1-0', // an id never issued: a gap
      '&lastEventId=not-an-id',
      '&replay=5',
    ]
    for (let batch = 0; batch < 2000; batch += 20) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, n) => {
          const i = batch + n
          return poll(`${s.url}/made-up-${i}?transport=long-polling${queries[i % queries.length]}`)
        }),
      )
      for (const { response } of answers) expect(response.status).toBe(200)
    }
    expect(s.live.stats()).toEqual({ channels: 0, connections: 0 })
  })

  it('a held long poll keeps its channel only while it is held', async () => {
    const arrived = arrivals()
    const s = await server({ longPollTimeout: 50, authorize: arrived.authorize })
    const holding = arrived.next()
    const held = poll(`${s.url}/made-up?transport=long-polling&lastEventId=0-0`)
    await holding
    expect(s.live.stats()).toEqual({ channels: 1, connections: 1 })
    expect((await held).body).toMatchObject({ cursor: '0-0', messages: [] })
    expect(s.live.stats()).toEqual({ channels: 0, connections: 0 })
  })

  it('leave nothing behind once their last subscriber is gone, if nothing was published', async () => {
    const s = await server()
    s.live.publish('kept', 1)
    for (let i = 0; i < 20; i++) {
      const { response } = await poll(`${s.url}/made-up-${i}?transport=polling`)
      expect(response.status).toBe(200)
    }
    expect(s.live.stats().channels).toBe(1)

    const ws = new WebSocket(s.url.replace('http', 'ws'))
    await once(ws, 'open')
    const subscribed = new Promise<void>((resolve) => {
      let count = 0
      ws.on('message', (data) => {
        if (String(data).includes('"subscribed"') && ++count === 20) resolve()
      })
    })
    for (let i = 0; i < 20; i++) {
      ws.send(JSON.stringify({ type: 'subscribe', channel: `ws-made-up-${i}` }))
    }
    await subscribed
    expect(s.live.stats()).toEqual({ channels: 21, connections: 1 })
    ws.close()
    // The server lets go when its side of the socket closes: wait for that, not for a time.
    while (s.live.stats().connections > 0) await new Promise((resolve) => setImmediate(resolve))
    expect(s.live.stats()).toEqual({ channels: 1, connections: 0 })
  })
})
