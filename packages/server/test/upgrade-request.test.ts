import { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import type { AuthorizeContext, MessageContext } from '../src/index'
import { testScope, watchEscapes } from './helpers'

// On Node a WebSocket connection keeps only the upgrade's raw headers, URL and socket, and makes
// an equal IncomingMessage for each frame its hooks see (and for each report): these tests hold
// that request to the upgrade's.

const { server, socket } = testScope()
const escaped = watchEscapes()

describe('the upgrade request hooks see over WebSocket (on Node)', () => {
  it('carries what an upgrade listener put on the request (a session it decoded) to authorize and listeners', async () => {
    const sessions: unknown[] = []
    const s = await server({
      authorize: ({ request }) => {
        sessions.push((request as IncomingMessage & { session?: unknown }).session)
        return true
      },
    })
    s.live.on('message', (_channel, _data, { request }) => {
      sessions.push((request as IncomingMessage & { session?: unknown }).session)
    })
    const session = { user: 'alice' }
    // Before the live server's own upgrade listener, as an app's auth middleware would be.
    s.http.prependListener('upgrade', (request: IncomingMessage & { session?: unknown }) => {
      request.session = session
    })
    const client = await socket(s)
    client.send({ type: 'subscribe', channel: 'chat' })
    client.send({ type: 'send', channel: 'chat', data: 1, ref: 1 })
    await client.until((f) => f.some((frame) => frame.type === 'ack'))
    expect(sessions).toEqual([session, session, session])
    expect(sessions[0]).toBe(session)
  })

  it("authorize and message listeners get an IncomingMessage equal to the upgrade's: headers, cookie, raw headers, URL, method, socket", async () => {
    const asked: AuthorizeContext[] = []
    const received: MessageContext[] = []
    const s = await server({
      authorize: (context) => {
        asked.push(context)
        return true
      },
    })
    s.live.on('message', (_channel, _data, context) => {
      received.push(context)
    })
    // Listens after the live server: it gets the very upgrade request the live server took.
    const upgrades: IncomingMessage[] = []
    s.http.on('upgrade', (request: IncomingMessage) => upgrades.push(request))
    const client = await socket(s, {
      headers: {
        Cookie: 'session=abc; theme=dark',
        'User-Agent': 'test-agent/1.0',
        // Sent as two lines (node:http takes an array), joined in `headers` as Node joins them.
        'X-Twice': ['one', 'two'] as unknown as string,
      },
    })
    const original = upgrades[0] as IncomingMessage
    client.send({ type: 'hello', headers: { Authorization: 'Bearer token' } })
    client.send({ type: 'subscribe', channel: 'chat' })
    client.send({ type: 'send', channel: 'chat', data: 1, ref: 1 })
    await client.until((f) => f.some((frame) => frame.type === 'ack'))
    expect(asked.map((context) => context.action)).toEqual(['subscribe', 'send'])
    expect(received).toHaveLength(1)
    for (const { request, headers } of [...asked, ...received]) {
      expect(request).toBeInstanceOf(IncomingMessage)
      expect(request.method).toBe('GET')
      expect(request.url).toBe(original.url)
      expect(request.url).toBe('/live')
      expect(request.httpVersion).toBe('1.1')
      expect(request.headers).toEqual(original.headers)
      expect(request.headers.cookie).toBe('session=abc; theme=dark')
      expect(request.headers['user-agent']).toBe('test-agent/1.0')
      expect(request.headers['x-twice']).toBe('one, two')
      expect(request.rawHeaders).toEqual(original.rawHeaders)
      expect(request.socket).toBe(original.socket)
      expect(request.socket.remoteAddress).toBe('127.0.0.1')
      expect(request.complete).toBe(true)
      // The hello's headers are in `headers`, beside the upgrade's; the request has its own.
      expect(headers.authorization).toBe('Bearer token')
      expect(headers.cookie).toBe('session=abc; theme=dark')
      expect(request.headers.authorization).toBeUndefined()
      // Documented: an equal request, not the upgrade's object.
      expect(request).not.toBe(original)
    }
    // One request per frame: the send's authorize and its listeners share it.
    expect(received[0]?.request).toBe(asked[1]?.request)
    expect(asked[0]?.request).not.toBe(asked[1]?.request)
    expect(escaped).toEqual([])
  })

  it("its body is empty and ended: reading it neither waits nor takes the socket's frames", async () => {
    const bodies: string[] = []
    const s = await server({
      authorize: async ({ request }) => {
        let body = ''
        for await (const chunk of request) body += String(chunk)
        bodies.push(body)
        return true
      },
    })
    const client = await socket(s, { headers: { Cookie: 'a=1' } })
    client.send({ type: 'subscribe', channel: 'a' })
    client.send({ type: 'subscribe', channel: 'b' })
    await client.until((f) => f.filter((frame) => frame.type === 'subscribed').length === 2)
    s.live.publish('b', 'still')
    await client.until((f) => f.some((frame) => frame.data === 'still'))
    expect(bodies).toEqual(['', ''])
  })

  it('a report about a socket carries the upgrade request too, with its headers and URL', async () => {
    const s = await server()
    const reports = s.reports
    const client = await socket(s, { headers: { Cookie: 'a=1' } })
    client.send('not json')
    await client.until((f) => f.some((frame) => frame.type === 'error'))
    const request = reports[0]?.context.request
    expect(request).toBeInstanceOf(IncomingMessage)
    expect(request?.url).toBe('/live')
    expect(request?.headers.cookie).toBe('a=1')
    expect(reports[0]?.context.address).toBe('127.0.0.1')
  })
})
