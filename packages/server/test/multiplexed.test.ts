import { once } from 'node:events'
import { request as httpRequest } from 'node:http'
import { describe, expect, it } from 'vitest'
import { multiIframeArgument, multiSseFrame } from '../src/frames'
import type { StoredMessage } from '../src/history'
import type { AuthorizeContext } from '../src/index'
import { arrivals, eventsOf, openStream, type Started, testScope } from './helpers'

const { server, defer } = testScope()

/** The `c` parameters of a multiplexed request. */
const cs = (...specs: string[]): string => specs.map((s) => `c=${encodeURIComponent(s)}`).join('&')

/** A multiplexed URL: the base path itself, a transport and the `c` specs. */
const multi = (s: Started, transport: string, ...specs: string[]): string =>
  `${s.url}?transport=${transport}&${cs(...specs)}`

interface ChannelAnswer {
  cursor?: string
  gap?: boolean
  messages?: Array<{ id: string; event?: string; data: unknown }>
  error?: { code: string; message: string }
}
interface MultiAnswer {
  retry: number
  channels: Record<string, ChannelAnswer>
}

const pollJson = async (url: string, init: RequestInit = {}) => {
  const response = await fetch(url, init)
  const body = response.status === 200 ? ((await response.json()) as MultiAnswer) : null
  return { response, body }
}

/** An authorize that refuses `admin` and fails (throws) on `broken`. */
const picky = ({ channel }: AuthorizeContext): boolean => {
  if (channel === 'broken') throw new Error('the session store is down')
  return channel !== 'admin'
}

/** Waits until the server let go of every connection (it sees a client leave a moment later). */
async function settled(s: Started): Promise<void> {
  while (s.live.stats().connections > 0) await new Promise((resolve) => setImmediate(resolve))
}

describe('multiplexed SSE', () => {
  it('serves three channels in one stream: fresh, resumed and backlog, each message tagged with its channel and id, in order', async () => {
    const s = await server()
    const b1 = s.live.publish('b', 'b-old')
    const b2 = s.live.publish('b', 'b-new')
    s.live.publish('c', 'c1')
    const c2 = s.live.publish('c', 'c2')
    const c3 = s.live.publish('c', 'c3')
    const a0 = s.live.publish('a', 'a-before')
    const sse = await openStream(multi(s, 'sse', 'a', `b!${b1}`, 'c*2'))
    defer(() => sse.close())
    expect(sse.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    await sse.until((text) => text.includes(`id: ${c3}`))
    const a1 = s.live.publish('a', { n: 1 })
    const b3 = s.live.publish('b', { n: 2 }, { event: 'trade' })
    const c4 = s.live.publish('c', { n: 3 })
    const text = await sse.until((t) => t.includes(`id: ${c4}`))
    expect(text.startsWith('retry: 1000\n\n')).toBe(true)
    expect(eventsOf(text)).toEqual([
      { id: undefined, event: '!cursor', data: JSON.stringify({ channel: 'a', cursor: a0 }) },
      { id: b2, event: 'b', data: '"b-new"' },
      { id: c2, event: 'c', data: '"c2"' },
      { id: c3, event: 'c', data: '"c3"' },
      { id: a1, event: 'a', data: '{"n":1}' },
      { id: b3, event: 'b/trade', data: '{"n":2}' },
      { id: c4, event: 'c', data: '{"n":3}' },
    ])
  })

  it('reports a gap per channel, with the id asked for and the oldest id held', async () => {
    const s = await server({ history: 2 })
    const p1 = s.live.publish('prices', 1)
    const p2 = s.live.publish('prices', 2)
    const p3 = s.live.publish('prices', 3)
    const n1 = s.live.publish('news', 'n1')
    const sse = await openStream(multi(s, 'sse', `news!${n1}`, `prices!${p1}`, 'empty!7-0'))
    defer(() => sse.close())
    const text = await sse.until((t) => t.includes(`id: ${p3}`) && t.includes('"empty"'))
    expect(eventsOf(text)).toEqual([
      {
        id: undefined,
        event: '!gap',
        data: JSON.stringify({ channel: 'prices', lastEventId: p1, oldest: p2 }),
      },
      { id: p2, event: 'prices', data: '2' },
      { id: p3, event: 'prices', data: '3' },
      {
        id: undefined,
        event: '!gap',
        data: JSON.stringify({ channel: 'empty', lastEventId: '7-0', oldest: null }),
      },
      // Nothing replayed after that gap: the channel learns where it stands, so that its next
      // request does not ask for the id history does not know (a restarted server, say).
      {
        id: undefined,
        event: '!cursor',
        data: JSON.stringify({ channel: 'empty', cursor: '0-0' }),
      },
    ])
  })

  it('reports refused channels (ERR_FORBIDDEN and ERR_AUTHORIZE) in the stream while the others flow, subscribing none of them', async () => {
    const s = await server({ authorize: picky })
    const sse = await openStream(multi(s, 'sse', 'news', 'admin', 'broken', 'prices'))
    defer(() => sse.close())
    expect(sse.response.status).toBe(200)
    await sse.until((t) => t.includes('"prices"'))
    const id = s.live.publish('prices', 42)
    s.live.publish('admin', 'secret')
    const text = await sse.until((t) => t.includes(`id: ${id}`))
    const events = eventsOf(text)
    // Refusals first, before the head: a client never takes a refused channel for open.
    expect(events.map((e) => e.event)).toEqual([
      '!refused',
      '!refused',
      '!cursor',
      '!cursor',
      'prices',
    ])
    expect(text.indexOf('!refused')).toBeLessThan(text.indexOf('retry:'))
    expect(JSON.parse(events[0]?.data as string)).toEqual({
      channel: 'admin',
      code: 'ERR_FORBIDDEN',
      message: 'Access to "admin" is not allowed',
    })
    expect(JSON.parse(events[1]?.data as string)).toMatchObject({
      channel: 'broken',
      code: 'ERR_AUTHORIZE',
    })
    expect(text).not.toContain('secret')
    // news, prices, and admin (published on): broken was never subscribed.
    expect(s.live.stats()).toEqual({ channels: 3, connections: 1 })
  })

  it('is cut when its client cannot keep up, reported once for the stream', async () => {
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
        closed ??= once(request.socket, 'close')
        subscribed()
        return true
      },
    })
    httpRequest(multi(s, 'sse', 'flood', 'other'), (res) => {
      res.pause() // read nothing: the socket fills up, then the backlog
    }).end()
    await asked
    await new Promise((resolve) => setImmediate(resolve))
    const big = 'x'.repeat(16 * 1024)
    for (let i = 0; i < 3000; i++) {
      s.live.publish(i % 2 === 0 ? 'flood' : 'other', big)
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    await closed
    expect(reports).toEqual([{ code: 'ERR_SLOW_CLIENT', transport: 'sse', channel: undefined }])
  })

  it('replays more than one whole history per channel without being taken for a slow client', async () => {
    const s = await server({ maxBufferedBytes: 16 * 1024, history: 1000 })
    const big = 'x'.repeat(1024)
    for (let n = 0; n < 1000; n++) {
      s.live.publish('one', big)
      s.live.publish('two', big)
    }
    const sse = await openStream(multi(s, 'sse', 'one!0-0', 'two!0-0'))
    defer(() => sse.close())
    await sse.until((t) => t.split('\nevent: ').length - 1 === 2000)
    expect(s.reports).toEqual([])
  })
})

describe('multiplexed long polling', () => {
  it('answers at once for three channels: a fresh cursor, a resume and a backlog, leaving out channels with nothing new', async () => {
    const s = await server()
    const a0 = s.live.publish('a', 0)
    const b1 = s.live.publish('b', 1)
    const b2 = s.live.publish('b', 2, { event: 'trade' })
    s.live.publish('c', 'c1')
    const c2 = s.live.publish('c', 'c2')
    const q = s.live.publish('quiet', 'q')
    const { response, body } = await pollJson(
      multi(s, 'long-polling', 'a', `b!${b1}`, 'c*1', `quiet!${q}`),
    )
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache')
    expect(body).toEqual({
      retry: 1000,
      channels: {
        a: { cursor: a0, gap: false, messages: [] },
        b: { cursor: b2, gap: false, messages: [{ id: b2, event: 'trade', data: 2 }] },
        c: { cursor: c2, gap: false, messages: [{ id: c2, data: 'c2' }] },
      },
    })
  })

  it('holds until a message on any one of its channels, answers with that channel alone, and keeps no channel afterwards', async () => {
    const arrived = arrivals()
    const s = await server({ authorize: arrived.authorize })
    const held = arrived.next()
    const pending = pollJson(multi(s, 'long-polling', 'x!0-0', 'y!0-0', 'z!0-0'))
    await held
    expect(s.live.stats()).toEqual({ channels: 3, connections: 1 })
    const y1 = s.live.publish('y', 1)
    const y2 = s.live.publish('y', 2, { event: 'e' })
    const { body } = await pending
    expect(body).toEqual({
      retry: 1000,
      channels: {
        y: {
          cursor: y2,
          gap: false,
          messages: [
            { id: y1, data: 1 },
            { id: y2, event: 'e', data: 2 },
          ],
        },
      },
    })
    // y has history now; x and z, names nobody published on, are forgotten.
    expect(s.live.stats()).toEqual({ channels: 1, connections: 0 })
  })

  it('answers {"channels":{}} after longPollTimeout, keeping nothing', async () => {
    const arrived = arrivals()
    const s = await server({ longPollTimeout: 50, authorize: arrived.authorize })
    const holding = arrived.next()
    const held = pollJson(multi(s, 'long-polling', 'm1!0-0', 'm2!0-0'))
    await holding
    expect(s.live.stats()).toEqual({ channels: 2, connections: 1 })
    expect((await held).body).toEqual({ retry: 1000, channels: {} })
    expect(s.live.stats()).toEqual({ channels: 0, connections: 0 })
  })

  it('a held poll the client aborts leaves no subscription behind', async () => {
    const arrived = arrivals()
    const s = await server({ authorize: arrived.authorize })
    const holding = arrived.next()
    const controller = new AbortController()
    const held = fetch(multi(s, 'long-polling', 'gone1!0-0', 'gone2!0-0', 'gone3!0-0'), {
      signal: controller.signal,
    }).catch(() => null)
    await holding
    expect(s.live.stats()).toEqual({ channels: 3, connections: 1 })
    controller.abort()
    await held
    await settled(s)
    expect(s.live.stats()).toEqual({ channels: 0, connections: 0 })
  })

  it('answers refused channels at once (both codes) beside the others', async () => {
    const s = await server({ authorize: picky })
    const id = s.live.publish('prices', 1)
    const { body } = await pollJson(
      multi(s, 'long-polling', `prices!${id}`, 'admin!0-0', 'broken!0-0'),
    )
    expect(body).toEqual({
      retry: 1000,
      channels: {
        admin: { error: { code: 'ERR_FORBIDDEN', message: 'Access to "admin" is not allowed' } },
        broken: {
          error: {
            code: 'ERR_AUTHORIZE',
            message: 'Access to "broken" could not be checked (authorize failed); try again later',
          },
        },
      },
    })
    expect(s.live.stats()).toEqual({ channels: 1, connections: 0 })
  })
})

describe('multiplexed polling', () => {
  it('answers at once for every channel with something to say, a gap per channel, and 304 when no cursor moved', async () => {
    const s = await server({ history: 2 })
    const p1 = s.live.publish('p', 1)
    const p2 = s.live.publish('p', 2)
    const p3 = s.live.publish('p', 3)
    const n1 = s.live.publish('n', 'n1')
    const { body } = await pollJson(multi(s, 'polling', `p!${p1}`, `n!${n1}`, 'fresh'))
    expect(body).toEqual({
      retry: 1000,
      channels: {
        p: {
          cursor: p3,
          gap: true,
          messages: [
            { id: p2, data: 2 },
            { id: p3, data: 3 },
          ],
        },
        fresh: { cursor: '0-0', gap: false, messages: [] },
      },
    })
    const url = multi(s, 'polling', `p!${p3}`, `n!${n1}`)
    const first = await pollJson(url)
    expect(first.body).toEqual({ retry: 1000, channels: {} })
    const etag = first.response.headers.get('etag') as string
    expect(etag).toMatch(/^"[\w-]+"$/)
    const again = await fetch(url, { headers: { 'If-None-Match': etag } })
    expect(again.status).toBe(304)
    const n2 = s.live.publish('n', 'n2')
    const changed = await pollJson(url, { headers: { 'If-None-Match': etag } })
    expect(changed.body?.channels).toEqual({
      n: { cursor: n2, gap: false, messages: [{ id: n2, data: 'n2' }] },
    })
  })

  it('carries at most about 512 KiB: a channel cut short moves its cursor, one that does not fit is left out and comes next', async () => {
    const s = await server({ maxPayload: 1024 * 1024 })
    const big = 'x'.repeat(300 * 1024)
    const a1 = s.live.publish('a', big)
    const a2 = s.live.publish('a', big)
    const b1 = s.live.publish('b', big)
    const ids = (body: MultiAnswer | null) =>
      Object.fromEntries(
        Object.entries(body?.channels ?? {}).map(([name, answer]) => [
          name,
          [answer.cursor, answer.messages?.map((m) => m.id)],
        ]),
      )
    const first = await pollJson(multi(s, 'polling', 'a!0-0', 'b!0-0'))
    expect(ids(first.body)).toEqual({ a: [a1, [a1]] })
    const second = await pollJson(multi(s, 'polling', `a!${a1}`, 'b!0-0'))
    expect(ids(second.body)).toEqual({ a: [a2, [a2]] })
    const third = await pollJson(multi(s, 'polling', `a!${a2}`, 'b!0-0'))
    expect(ids(third.body)).toEqual({ b: [b1, [b1]] })
  })

  it('subscribes to nothing', async () => {
    const s = await server()
    const { response } = await pollJson(multi(s, 'polling', 'u1', 'u2!3-0', 'u3*5'))
    expect(response.status).toBe(200)
    expect(s.live.stats()).toEqual({ channels: 0, connections: 0 })
  })
})

describe('multiplexed iframe', () => {
  it('posts every channel in one document: refusal, open, cursor, gap and messages tagged with their channel, script-safe', async () => {
    const s = await server({ authorize: picky, history: 1 })
    s.live.publish('g', 1)
    const g2 = s.live.publish('g', 2)
    const origin = encodeURIComponent(s.origin)
    const url = `${multi(s, 'iframe', 'f', 'g!1-0', 'admin')}&origin=${origin}&nonce=abcdefgh12`
    const doc = await openStream(url)
    defer(() => doc.close())
    expect(doc.response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(doc.response.headers.get('content-security-policy')).toContain(
      `frame-ancestors ${s.origin}`,
    )
    await doc.until((t) => t.includes('"t":"r"'))
    const id = s.live.publish('f', { text: '</script><!-- \u2028' }, { event: 'say' })
    const text = await doc.until((t) => t.includes(id))
    expect(text).toContain('m.n="abcdefgh12"')
    const posted = [...text.matchAll(/<script nonce="[^"]+">p\((.*)\)<\/script>/g)].map((m) =>
      JSON.parse(m[1] as string),
    )
    // Refusals before the opening: the page never takes a refused channel for open.
    expect(posted).toEqual([
      { t: 'r', c: 'admin', code: 'ERR_FORBIDDEN', message: 'Access to "admin" is not allowed' },
      { t: 'o', retry: 1000 },
      { t: 'c', c: 'f', cursor: '0-0' },
      { t: 'g', c: 'g', lastEventId: '1-0', oldest: g2 },
      { t: 'm', c: 'g', m: { id: g2, data: 2 } },
      { t: 'm', c: 'f', m: { id, event: 'say', data: { text: '</script><!-- \u2028' } } },
    ])
    expect(text).toContain('\\u003c/script\\u003e\\u003c!-- \\u2028')
    // Only the document's own closing tags: no payload ever ends a script.
    const scripts = text.match(/<script nonce="[^"]+">/g) ?? []
    expect(text.split('</script>').length - 1).toBe(scripts.length)
  })

  it('checks the page origin and nonce as the plain form does', async () => {
    const s = await server({ origins: ['https://app.example.com'] })
    const evil = await fetch(
      `${multi(s, 'iframe', 'f')}&origin=${encodeURIComponent('https://evil.example')}&nonce=abcdefgh12`,
    )
    expect(evil.status).toBe(403)
    const noNonce = await fetch(
      `${multi(s, 'iframe', 'f')}&origin=${encodeURIComponent('https://app.example.com')}`,
    )
    expect(noNonce.status).toBe(400)
  })
})

describe('the multiplexed request', () => {
  const invalid = async (url: string) => {
    const response = await fetch(url)
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const body = (await response.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('ERR_INVALID_REQUEST')
    return body.error.message
  }

  it('without any c is 400 ERR_INVALID_REQUEST explaining the two forms', async () => {
    const s = await server()
    const message = await invalid(`${s.url}?transport=sse`)
    expect(message).toContain('c=<channel>')
    expect(message).toContain('/live/<channel>')
    expect(await invalid(s.url)).toBe(message)
  })

  it.each([
    ['a malformed spec', ['prices*ten'], 'whole number'],
    ['an empty id', ['prices!'], 'empty id'],
    ['a bad name', ['a b'], 'Channel names are'],
    ['the same channel twice', ['a', 'a!1-0'], 'named twice'],
    ['more than 1,000 channels', Array.from({ length: 1001 }, (_, i) => `c${i}`), 'At most 1000'],
  ])('with %s is one 400 ERR_INVALID_REQUEST naming it', async (_name, specs, problem) => {
    const s = await server()
    for (const transport of ['sse', 'long-polling', 'polling']) {
      expect(await invalid(multi(s, transport, ...specs))).toContain(problem)
    }
    expect(s.live.stats()).toEqual({ channels: 0, connections: 0 })
  })

  it('is answered a preflight with the same CORS, and refuses other methods than GET with 405', async () => {
    const s = await server({ origins: ['https://app.example.com'] })
    const preflight = await fetch(s.url, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    const post = await fetch(s.url, { method: 'POST', body: '{"data":1}' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, OPTIONS')
    const evil = await fetch(multi(s, 'polling', 'a'), {
      headers: { Origin: 'https://evil.example' },
    })
    expect(evil.status).toBe(403)
  })

  it('is ours at the path itself; a path that only starts like it is left to the app', async () => {
    const s = await server({}, (_request, response) => response.end('the app'))
    expect((await fetch(`${s.url}?transport=polling`)).status).toBe(400)
    const other = await fetch(`${s.url}x?transport=polling&c=a`)
    expect(await other.text()).toBe('the app')
  })

  it('subscribes nothing when the client left while authorize ran', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let left!: Promise<unknown>
    let asked!: () => void
    const waiting = new Promise<void>((resolve) => {
      asked = resolve
    })
    const s = await server({
      authorize: ({ request }) => {
        left ??= once(request.socket, 'close')
        asked()
        return gate.then(() => true)
      },
    })
    const controller = new AbortController()
    const stream = fetch(multi(s, 'sse', 'l1', 'l2'), { signal: controller.signal }).catch(
      () => null,
    )
    await waiting
    controller.abort()
    await stream
    // The server sees the socket close, then authorize answers.
    await left
    release()
    await gate
    await new Promise((resolve) => setImmediate(resolve))
    expect(s.live.stats()).toEqual({ channels: 0, connections: 0 })
  })
})

describe('multiplexed frames', () => {
  it('are built once per message and shared by every stream', () => {
    const message: StoredMessage = { id: '1-0', channel: 'c', event: 'e', json: '1' }
    const sse = multiSseFrame(message)
    expect(sse).toBe('id: 1-0\nevent: c/e\ndata: 1\n\n')
    expect(message.multiSseFrame).toBe(sse)
    message.multiSseFrame = 'kept'
    expect(multiSseFrame(message)).toBe('kept')
    const posted = multiIframeArgument(message)
    expect(JSON.parse(posted)).toEqual({ t: 'm', c: 'c', m: { id: '1-0', event: 'e', data: 1 } })
    message.multiIframeArgument = 'kept'
    expect(multiIframeArgument(message)).toBe('kept')
  })
})
