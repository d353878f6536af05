import { describe, expect, it } from 'vitest'
import type { AuthorizeContext, MessageContext } from '../src/index'
import { openStream, testScope } from './helpers'

const { server, socket, defer } = testScope()

const token = { Authorization: 'Bearer t0k3n' }

describe('authorize', () => {
  it('is told the transport that asks and the request headers, lowercase, on every transport', async () => {
    const asked: AuthorizeContext[] = []
    const s = await server({
      authorize: (context) => {
        asked.push(context)
        return true
      },
    })
    const sse = await openStream(`${s.url}/a`, token)
    defer(() => sse.close())
    await fetch(`${s.url}/a?transport=long-polling`, { headers: token })
    await fetch(`${s.url}/a?transport=polling`, { headers: token })
    const origin = encodeURIComponent(s.origin)
    const controller = new AbortController()
    defer(() => controller.abort())
    await fetch(`${s.url}/a?transport=iframe&origin=${origin}&nonce=abcdefgh12`, {
      headers: token,
      signal: controller.signal,
    })
    await fetch(`${s.url}/a`, { method: 'POST', headers: token, body: '{"data":1}' })
    const client = await socket(s, { headers: token })
    client.send({ type: 'subscribe', channel: 'a' })
    await client.until((f) => f.length === 1)
    expect(asked.map((c) => [c.transport, c.action])).toEqual([
      ['sse', 'subscribe'],
      ['long-polling', 'subscribe'],
      ['polling', 'subscribe'],
      ['iframe', 'subscribe'],
      ['http', 'send'],
      ['websocket', 'subscribe'],
    ])
    for (const context of asked) {
      expect(context.headers.authorization).toBe('Bearer t0k3n')
      expect(context.headers.host).toBe(new URL(s.origin).host)
      expect(context.channel).toBe('a')
    }
  })

  it("a send's context carries the headers too", async () => {
    const s = await server()
    const seen: MessageContext[] = []
    s.live.on('message', (_channel, _data, context) => {
      seen.push(context)
    })
    await fetch(`${s.url}/a`, { method: 'POST', headers: token, body: '{"data":1}' })
    expect(seen.map((c) => [c.transport, c.headers.authorization])).toEqual([
      ['http', 'Bearer t0k3n'],
    ])
  })

  it('that throws is 503 ERR_AUTHORIZE with Retry-After (an error frame over WebSocket), reported as the server’s fault, with its error', async () => {
    const failure = new Error('the session store is down')
    const s = await server({
      retry: 2500,
      authorize: () => {
        throw failure
      },
    })
    const response = await fetch(`${s.url}/a?transport=polling`)
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('3')
    const body = await response.json()
    expect(body).toMatchObject({ error: { code: 'ERR_AUTHORIZE' } })
    expect(body.error.message).not.toContain('session store')
    const client = await socket(s)
    client.send({ type: 'send', channel: 'a', data: 1, ref: 9 })
    client.send({ type: 'subscribe', channel: 'b' })
    const frames = await client.until((f) => f.length === 2)
    expect(frames[0]).toMatchObject({ type: 'error', code: 'ERR_AUTHORIZE', ref: 9 })
    expect(frames[0]).not.toHaveProperty('channel')
    expect(frames[1]).toMatchObject({ type: 'error', code: 'ERR_AUTHORIZE', channel: 'b' })
    expect(frames[1]).not.toHaveProperty('ref')
    expect(s.reports.map((r) => [r.error.code, r.context.client, r.context.transport])).toEqual([
      ['ERR_AUTHORIZE', false, 'polling'],
      ['ERR_AUTHORIZE', false, 'websocket'],
      ['ERR_AUTHORIZE', false, 'websocket'],
    ])
    for (const { error } of s.reports) expect(error.cause).toBe(failure)
  })

  it('that rejects is handled the same, on a POST send too', async () => {
    const s = await server({ authorize: () => Promise.reject(new Error('later')) })
    const response = await fetch(`${s.url}/a`, { method: 'POST', body: '{"data":1}' })
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ error: { code: 'ERR_AUTHORIZE' } })
    expect(s.reports.map((r) => [r.error.code, r.context.transport])).toEqual([
      ['ERR_AUTHORIZE', 'http'],
    ])
  })

  it('that says false is still 403 ERR_FORBIDDEN, reported as nothing', async () => {
    const s = await server({ authorize: () => false })
    const response = await fetch(`${s.url}/a?transport=polling`)
    expect(response.status).toBe(403)
    expect(response.headers.get('retry-after')).toBeNull()
    expect(await response.json()).toMatchObject({ error: { code: 'ERR_FORBIDDEN' } })
    const client = await socket(s)
    client.send({ type: 'subscribe', channel: 'b' })
    const [frame] = await client.until((f) => f.length === 1)
    expect(frame).toMatchObject({ type: 'error', code: 'ERR_FORBIDDEN', channel: 'b' })
    expect(s.reports).toEqual([])
  })
})
