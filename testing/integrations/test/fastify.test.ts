import type { ServerTransport } from '@livedata/server'
import { describeServerConformance } from '@livedata/server-conformance'
import { afterEach, describe, expect, it } from 'vitest'
import { BEFORE_HEADER, type FastifyFixture, startFastify } from '../fixtures/fastify'

// Fastify 5 (docs/guides/fastify.md): `live.attach(fastify.server)`, every transport with the
// WebSocket; and the HTTP transports from an `onRequest` hook with `reply.hijack()`, inside
// Fastify's lifecycle and before its body parser. Each judged by the conformance suite.

const HTTP: readonly ServerTransport[] = ['sse', 'long-polling', 'polling', 'iframe']
const ALL: readonly ServerTransport[] = ['websocket', ...HTTP]

describeServerConformance(
  'Fastify 5: live.attach(fastify.server)',
  () => startFastify({ form: 'attach', transports: ALL }),
  { transports: ALL },
)

describeServerConformance(
  'Fastify 5: an onRequest hook, live.handle(request.raw, reply.raw) and reply.hijack()',
  () => startFastify({ form: 'hook', transports: HTTP }),
  { transports: HTTP },
)

describe('Fastify 5: what the guide says', () => {
  let app: FastifyFixture | null = null
  afterEach(async () => {
    await app?.close()
    app = null
  })
  const post = (path: string, body: string): Promise<Response> =>
    fetch(`${app?.url}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    })

  it('the hook form runs the onRequest hooks before it for live requests, and sends pass Fastify’s body parser untouched', async () => {
    app = await startFastify({ form: 'hook', transports: HTTP })
    const sent = await post('/live/notes', '{"data":{"text":"hi"},"event":"say"}')
    expect(sent.status).toBe(204)
    expect(sent.headers.get(BEFORE_HEADER)).toBe('1')
    // A body Fastify's parser would refuse (415) is the live server's to judge.
    const other = await fetch(`${app.url}/live/notes`, {
      method: 'POST',
      body: '{"data":2}',
      headers: { 'content-type': 'application/x-custom' },
    })
    expect(other.status).toBe(204)
    const received = await fetch(`${app.url}/control/received?channel=notes`)
    expect(((await received.json()) as { received: unknown[] }).received).toHaveLength(2)
    const echoed = await post('/api/echo', '{"a":1}')
    expect(await echoed.json()).toEqual({ body: { a: 1 } })
  })

  it('the attach form serves the live requests in front of Fastify: its hooks do not see them', async () => {
    app = await startFastify({ form: 'attach', transports: ALL })
    const poll = await fetch(`${app.url}/live/prices?transport=polling`)
    expect(poll.status).toBe(200)
    expect(poll.headers.get(BEFORE_HEADER)).toBeNull()
    const echoed = await post('/api/echo', '{}')
    expect(echoed.headers.get(BEFORE_HEADER)).toBe('1')
  })

  for (const form of ['attach', 'hook'] as const) {
    it(`fastify.close() ends an open SSE stream through the preClose hook (${form})`, async () => {
      const started = await startFastify({ form, transports: HTTP })
      const stream = await fetch(`${started.url}/live/prices`)
      expect(stream.headers.get('content-type')).toContain('text/event-stream')
      const reader = stream.body?.getReader()
      if (reader === undefined) throw new Error('the SSE answer has no body')
      await reader.read() // the stream's head: it is open
      // fastify.close() waits for every open request: without the hook it waits for ever.
      let timer: ReturnType<typeof setTimeout> | undefined
      const outcome = await Promise.race([
        started.close().then(() => 'closed'),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve('still waiting for the stream after 5 s'), 5000)
        }),
      ])
      clearTimeout(timer)
      await reader.cancel()
      expect(outcome).toBe('closed')
    })
  }
})
