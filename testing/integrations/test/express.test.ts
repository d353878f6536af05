import type { ServerTransport } from '@livedata/server'
import { describeServerConformance } from '@livedata/server-conformance'
import { afterEach, describe, expect, it } from 'vitest'
import {
  BEFORE_HEADER,
  type ExpressFixture,
  type ParserOrder,
  startExpress,
} from '../fixtures/express'
import { postJson } from './helpers/post-json'

// Express 5 (docs/guides/express.md): `app.use(before, live.handle)` with express.json() before
// it and after it, and `live.attach(app.listen(…), { http: false })` for the WebSocket; each
// order judged by the conformance suite with every transport, the live HTTP requests through
// the app's middleware.

const HTTP: readonly ServerTransport[] = ['sse', 'long-polling', 'polling', 'iframe']
const ALL: readonly ServerTransport[] = ['websocket', ...HTTP]

const suiteApps = new Map<ParserOrder, ExpressFixture>()
const describeOrder = (order: ParserOrder, name: string) =>
  describeServerConformance(
    name,
    async () => {
      const app = await startExpress({ order, attach: { http: false }, transports: ALL })
      suiteApps.set(order, app)
      return app
    },
    {
      transports: ALL,
      // attach's default would have served them in front of Express: 0.
      after: () => expect(suiteApps.get(order)?.seen()).toBeGreaterThan(50),
    },
  )

describeOrder(
  'json-first',
  'Express 5: express.json(), app.use(before, live.handle), live.attach(server, { http: false })',
)
describeOrder(
  'live-first',
  'Express 5: app.use(before, live.handle), express.json(), live.attach(server, { http: false })',
)

describe('Express 5: what the guide says', () => {
  let app: ExpressFixture | null = null
  afterEach(async () => {
    await app?.close()
    app = null
  })
  const post = (path: string, body: string) => postJson(`${app?.url}${path}`, body)

  it('with attach { http: false }, a live HTTP request runs the middleware in front of live.handle, and the app keeps its routes', async () => {
    app = await startExpress({ order: 'live-first', attach: { http: false }, transports: ALL })
    const poll = await fetch(`${app.url}/live/prices?transport=polling`)
    expect(poll.status).toBe(200)
    expect(poll.headers.get(BEFORE_HEADER)).toBe('1')
    expect(app.seen()).toBe(1)
    const elsewhere = await post('/api/echo', '{"b":2}')
    expect(await elsewhere.json()).toEqual({ body: { b: 2 } })
  })

  it('live.handle after express.json() takes the parsed body: the app and the live server both get their JSON', async () => {
    app = await startExpress({ order: 'json-first', attach: { http: false }, transports: ALL })
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

  it('with express.json() in front, a malformed send is answered by Express, not the live server', async () => {
    app = await startExpress({ order: 'json-first', attach: { http: false }, transports: ALL })
    const malformed = await post('/live/notes', '{"data": ')
    expect(malformed.status).toBe(400)
    expect(malformed.headers.get('content-type')).toContain('text/html')
    await app.close()
    app = await startExpress({ order: 'live-first', attach: { http: false }, transports: ALL })
    const protocol = await post('/live/notes', '{"data": ')
    expect(protocol.status).toBe(400)
    expect(await protocol.json()).toMatchObject({ error: { code: 'ERR_INVALID_JSON' } })
  })

  it('live.attach without options serves the live requests in front of Express: the middleware before live.handle does not see them', async () => {
    app = await startExpress({ order: 'live-first', attach: {}, transports: ALL })
    const poll = await fetch(`${app.url}/live/prices?transport=polling`)
    expect(poll.status).toBe(200)
    expect(poll.headers.get(BEFORE_HEADER)).toBeNull()
    expect(app.seen()).toBe(0)
    const elsewhere = await post('/api/echo', '{}')
    expect(elsewhere.headers.get(BEFORE_HEADER)).toBe('1')
  })
})
