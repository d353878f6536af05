import type { Socket } from 'node:net'
import type { LiveServer } from '@livedata/server'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { describeInChromium, launchChromium, type PageServer, startPageServer } from './browser'

// Every transport of @livedata/core in real Chromium, against @livedata/server. The page loads
// the built core and drives one client per test; the iframe transport can only be tested here.

const PAGE = `<!doctype html><meta charset="utf-8"><title>transports</title>
<script type="module">
import { createLiveClient } from '/core/index.js'
window.errors = []
window.start = (transport, channel) => {
  window.client?.close()
  const transports = Array.isArray(transport) ? transport : [transport]
  window.client = createLiveClient({ url: '/live', transports, reconnect: { minDelay: 10, maxDelay: 100 },
    // A stream cut mid-document may never end the frame's load: the heartbeat notices.
    heartbeatTimeout: 3000 })
  // Every message, in order: a burst arrives as one notification.
  const source = window.client.source(channel, { reduce: (list = [], message) => [...list, message] })
  window.source = source
  window.received = []
  source.subscribe(() => {
    const snapshot = source.getSnapshot()
    window.snapshot = { status: snapshot.status, transport: snapshot.transport }
    window.received = snapshot.data ?? []
    if (snapshot.error) window.errors.push(snapshot.error.code)
  })
}
window.ready = true
</script>`

let server: PageServer
let live: LiveServer
const sockets = new Set<Socket>()
let origin: string
let browser: Browser
let page: Page
const sent: Array<{ channel: string; data: unknown; transport: string }> = []

describeInChromium('every transport in real Chromium', () => {
  beforeAll(async () => {
    server = await startPageServer(PAGE, { path: '/live', heartbeat: 1000 })
    ;({ live, origin } = server)
    live.on('message', (channel, data, context) =>
      sent.push({ channel, data, transport: context.transport }),
    )
    server.http.on('connection', (socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    browser = await launchChromium()
    page = await browser.newPage()
    page.setDefaultTimeout(15_000)
    await page.goto(`${origin}/`)
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true)
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  beforeEach(() => {
    sent.length = 0
  })

  /** Starts a client on `transport` (or several, in order) in the page; waits until it is open. */
  async function start(transport: string | string[], channel: string): Promise<void> {
    await page.evaluate(
      ([t, c]) => (window as unknown as { start(t: unknown, c: unknown): void }).start(t, c),
      [transport, channel] as const,
    )
    const first = Array.isArray(transport) ? transport[0] : transport
    await page.waitForFunction((t) => {
      const snapshot = (window as unknown as { snapshot?: { status: string; transport: string } })
        .snapshot
      return snapshot?.status === 'open' && snapshot.transport === t
    }, first)
  }

  const received = () =>
    page.evaluate(() => (window as unknown as { received: unknown[] }).received)

  it.each(['websocket', 'sse', 'long-polling', 'polling', 'iframe'])(
    '%s delivers messages and sends',
    async (transport) => {
      const channel = `t-${transport}`
      await start(transport, channel)
      for (let n = 1; n <= 5; n++) live.publish(channel, { n })
      await page.waitForFunction(
        () => (window as unknown as { received: unknown[] }).received.length >= 5,
      )
      expect(await received()).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })))

      await page.evaluate(() =>
        (window as unknown as { source: { send(d: unknown): Promise<void> } }).source.send({
          from: 'page',
        }),
      )
      expect(sent).toEqual([
        {
          channel,
          data: { from: 'page' },
          transport: transport === 'websocket' ? 'websocket' : 'http',
        },
      ])
    },
  )

  it('the iframe carries </script>, <!-- and U+2028 intact, and runs none of it', async () => {
    await start('iframe', 'hostile')
    const hostile = {
      text: '</script><script>parent.pwned = 1; window.pwned = 1</script><!-- \u2028 \u2029 -->',
      html: '<img src=x onerror="parent.pwned=2">',
    }
    live.publish('hostile', hostile)
    live.publish('hostile', { after: true })
    await page.waitForFunction(
      () => (window as unknown as { received: unknown[] }).received.length >= 2,
    )
    expect(await received()).toEqual([hostile, { after: true }])
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBe(
      undefined,
    )
    expect(await page.evaluate(() => (window as unknown as { errors: string[] }).errors)).toEqual(
      [],
    )
  })

  it.each([
    ['iframe', 'sse'],
    ['sse', 'iframe'],
  ])(
    'a switch from %s to %s in the middle of 1,000 messages loses and repeats none',
    async (from, to) => {
      const channel = `switch-${from}-${to}`
      await start([from, to], channel)
      // A proxy in the way from now on: the first transport's requests fail before they open.
      // (Each is one request for every channel of the page, named by its transport.)
      const blocked = new RegExp(`[?&]transport=${from}(&|$)`)
      for (let n = 1; n <= 1000; n++) {
        live.publish(channel, n)
        if (n % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
        if (n === 500) {
          await page.route(blocked, (route) => route.abort())
          for (const socket of sockets) socket.destroy()
        }
      }
      await page.waitForFunction(
        () => (window as unknown as { received: unknown[] }).received.length >= 1000,
        undefined,
        { timeout: 30_000 },
      )
      expect(await received()).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1))
      const snapshot = await page.evaluate(
        () => (window as unknown as { snapshot: { transport: string } }).snapshot,
      )
      expect(snapshot.transport).toBe(to)
      await page.unroute(blocked)
    },
  )
})
