import type { ServerTransport } from '@livedata/server'
import { describeServerConformance } from '@livedata/server-conformance'
import { afterEach, describe, expect, it } from 'vitest'
import { BEFORE_HEADER, type ExpressFixture, startExpress } from '../fixtures/express'

// Express 5 (docs/guides/express.md): `app.use(live.handle)` with express.json() before it and
// after it, each judged by the conformance suite over the HTTP transports through Express; and
// the WebSocket from `live.attach` on the server `app.listen` returned, with every transport.

const HTTP: readonly ServerTransport[] = ['sse', 'long-polling', 'polling', 'iframe']
const ALL: readonly ServerTransport[] = ['websocket', ...HTTP]

describeServerConformance(
  'Express 5: express.json(), then app.use(live.handle)',
  () => startExpress({ order: 'json-first', attach: false, transports: HTTP }),
  { transports: HTTP },
)

describeServerConformance(
  'Express 5: app.use(live.handle), then express.json()',
  () => startExpress({ order: 'live-first', attach: false, transports: HTTP }),
  { transports: HTTP },
)

describeServerConformance(
  'Express 5: live.attach on the server app.listen returned (the WebSocket)',
  () => startExpress({ order: 'live-first', attach: true, transports: ALL }),
  { transports: ALL },
)

describe('Express 5: what the guide says', () => {
  let app: ExpressFixture | null = null
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

  it('live.handle after express.json() takes the parsed body: the app and the live server both get their JSON', async () => {
    app = await startExpress({ order: 'json-first', attach: false, transports: HTTP })
    const echoed = await post('/api/echo', '{"a":1}')
    expect(await echoed.json()).toEqual({ body: { a: 1 } })
    const sent = await post('/live/notes', '{"data":{"text":"hi"}}')
    expect(sent.status).toBe(204)
    expect(sent.headers.get(BEFORE_HEADER)).toBe('1')
    const received = await fetch(`${app.url}/control/received?channel=notes`)
    expect(await received.json()).toEqual({
      received: [{ data: { text: 'hi' }, event: null, key: null, transport: 'http' }],
    })
  })

  it('as a middleware, live requests go through the Express middleware mounted before it', async () => {
    app = await startExpress({ order: 'live-first', attach: false, transports: HTTP })
    const poll = await fetch(`${app.url}/live/prices?transport=polling`)
    expect(poll.status).toBe(200)
    expect(poll.headers.get(BEFORE_HEADER)).toBe('1')
    const elsewhere = await post('/api/echo', '{"b":2}')
    expect(await elsewhere.json()).toEqual({ body: { b: 2 } })
  })

  it('with express.json() in front, a malformed send is answered by Express, not the live server', async () => {
    app = await startExpress({ order: 'json-first', attach: false, transports: HTTP })
    const malformed = await post('/live/notes', '{"data": ')
    expect(malformed.status).toBe(400)
    expect(malformed.headers.get('content-type')).toContain('text/html')
    await app.close()
    app = await startExpress({ order: 'live-first', attach: false, transports: HTTP })
    const protocol = await post('/live/notes', '{"data": ')
    expect(protocol.status).toBe(400)
    expect(await protocol.json()).toMatchObject({ error: { code: 'ERR_INVALID_JSON' } })
  })

  it('live.attach serves the live requests in front of Express: the middleware before live.handle does not see them', async () => {
    app = await startExpress({ order: 'live-first', attach: true, transports: ALL })
    const poll = await fetch(`${app.url}/live/prices?transport=polling`)
    expect(poll.status).toBe(200)
    expect(poll.headers.get(BEFORE_HEADER)).toBeNull()
    const elsewhere = await post('/api/echo', '{}')
    expect(elsewhere.headers.get(BEFORE_HEADER)).toBe('1')
  })
})
