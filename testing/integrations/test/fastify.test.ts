import type { ServerTransport } from '@livedata/server'
import { describeServerConformance } from '@livedata/server-conformance'
import { afterEach, describe, expect, it } from 'vitest'
import { BEFORE_HEADER, type FastifyFixture, startFastify } from '../fixtures/fastify'
import { postJson } from './helpers/post-json'

// Fastify 5 (docs/guides/fastify.md): the HTTP transports from an `onRequest` hook with
// `reply.hijack()`, inside Fastify's lifecycle (the hooks before it run) and before its body
// parser, and the WebSocket from `live.attach(fastify.server, { http: false })`: judged by the
// conformance suite with every transport. `live.attach(fastify.server)` alone serves every
// transport too, but in front of Fastify: node-http.test.ts judges attach on node:http.

const ALL: readonly ServerTransport[] = ['websocket', 'sse', 'long-polling', 'polling', 'iframe']

let suiteApp: FastifyFixture | null = null

describeServerConformance(
  'Fastify 5: an onRequest hook to live.handle with reply.hijack(), live.attach(fastify.server, { http: false })',
  async () => {
    suiteApp = await startFastify({ form: 'hook', transports: ALL })
    return suiteApp
  },
  {
    transports: ALL,
    // The suite's live HTTP requests went through the onRequest hooks before the live one;
    // attach's default would have served them in front of Fastify: 0.
    after: () => expect(suiteApp?.seen()).toBeGreaterThan(50),
  },
)

describe('Fastify 5: what the guide says', () => {
  let app: FastifyFixture | null = null
  afterEach(async () => {
    await app?.close()
    app = null
  })
  const post = (path: string, body: string) => postJson(`${app?.url}${path}`, body)

  it('the hook form runs the onRequest hooks before it for live requests, and sends pass Fastify’s body parser untouched', async () => {
    app = await startFastify({ form: 'hook', transports: ALL })
    const sent = await post('/live/notes', '{"data":{"text":"hi"},"event":"say"}')
    expect(sent.status).toBe(204)
    expect(sent.headers.get(BEFORE_HEADER)).toBe('1')
    expect(app.seen()).toBe(1)
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

  it('live.attach(fastify.server) without options serves the live requests in front of Fastify: its hooks do not see them', async () => {
    app = await startFastify({ form: 'attach', transports: ALL })
    const poll = await fetch(`${app.url}/live/prices?transport=polling`)
    expect(poll.status).toBe(200)
    expect(poll.headers.get(BEFORE_HEADER)).toBeNull()
    expect(app.seen()).toBe(0)
    const echoed = await post('/api/echo', '{}')
    expect(echoed.headers.get(BEFORE_HEADER)).toBe('1')
  })

  for (const form of ['attach', 'hook'] as const) {
    it(`fastify.close() ends an open SSE stream through the preClose hook (${form})`, async () => {
      const started = await startFastify({ form, transports: ALL })
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
