import type { ServerTransport } from '@livedata/server'
import { describeServerConformance } from '@livedata/server-conformance'
import { afterEach, describe, expect, it } from 'vitest'
import { type HonoNodeFixture, startHonoNode } from '../fixtures/hono-node'

// Hono on Node through @hono/node-server (docs/guides/hono.md): the HTTP transports from one
// route, `app.all('/live/*', (c) => live.fetch(c.req.raw))`, and the WebSocket from
// `live.attach(server, { http: false })` on the server `serve()` returned: judged by the
// conformance suite with every transport, the live HTTP requests through the route.

const ALL: readonly ServerTransport[] = ['websocket', 'sse', 'long-polling', 'polling', 'iframe']

let suiteApp: HonoNodeFixture | null = null

describeServerConformance(
  'Hono on Node: app.all(/live/*, (c) => live.fetch(c.req.raw)), live.attach(server, { http: false })',
  async () => {
    suiteApp = await startHonoNode({ attach: { http: false }, transports: ALL })
    return suiteApp
  },
  {
    transports: ALL,
    // The suite's live HTTP requests went through the Hono route; attach's default would have
    // served them in front of Hono: 0.
    after: () => expect(suiteApp?.routed()).toBeGreaterThan(50),
  },
)

describe('Hono on Node: what the guide says', () => {
  let app: HonoNodeFixture | null = null
  afterEach(async () => {
    await app?.close()
    app = null
  })

  it('/live/* also matches /live itself: the multiplexed form and the plain one both reach live.fetch', async () => {
    app = await startHonoNode({ attach: { http: false }, transports: ALL })
    const multiplexed = await fetch(`${app.url}/live?transport=polling&c=prices&c=news`)
    expect(multiplexed.status).toBe(200)
    expect(await multiplexed.json()).toMatchObject({
      channels: { prices: { cursor: '0-0' }, news: { cursor: '0-0' } },
    })
    const plain = await fetch(`${app.url}/live/prices?transport=polling`)
    expect(plain.status).toBe(200)
    expect(app.routed()).toBe(2)
  })

  it('live.attach(server) without options serves the live requests in front of Hono: the route is not reached for them', async () => {
    app = await startHonoNode({ attach: {}, transports: ALL })
    const poll = await fetch(`${app.url}/live/prices?transport=polling`)
    expect(poll.status).toBe(200)
    expect(app.routed()).toBe(0)
  })
})
