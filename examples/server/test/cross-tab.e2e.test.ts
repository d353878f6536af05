import type { LiveServer } from '@livedata/server'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { describeInChromium, launchChromium, type PageServer, startPageServer } from './browser'

// One connection per browser (`crossTab`, docs/decisions/cross-tab.md): several pages of one
// browser context share one connection through a leading tab, and another tab leads when it goes.

const PAGE = `<!doctype html><meta charset="utf-8"><title>cross-tab</title>
<script type="module">
import { createLiveClient } from '/core/index.js'
const query = new URLSearchParams(location.search)
const client = createLiveClient({ url: '/live', crossTab: true, disconnectDelay: 0,
  reconnect: { minDelay: 10, maxDelay: 200 } })
const live = { received: {}, status: {}, tab: 'solo', transport: null, sources: {}, roles: [], tries: [] }
window.live = live
// What client.inspect() says of this tab's part: the role at once, then each change.
client.inspect((event) => {
  if (event.type === 'tab') live.roles.push(event.role)
  if (event.type === 'try') live.tries.push(event.shared ? 'shared ' + event.transport : event.transport)
})
for (const channel of query.getAll('c')) {
  const source = client.source(channel, { initialData: [], reduce: (list, n) => [...list, n] })
  live.sources[channel] = source
  live.received[channel] = []
  source.subscribe(() => {
    const snapshot = source.getSnapshot()
    live.received[channel] = snapshot.data
    live.status[channel] = snapshot.status
    live.tab = snapshot.tab
    live.transport = snapshot.transport
  })
}
live.send = (channel, data) => live.sources[channel].send(data)
live.ready = true
</script>`

interface PageLive {
  ready?: boolean
  received: Record<string, number[]>
  status: Record<string, string>
  tab: string
  roles: string[]
  tries: string[]
  transport: string | null
  send(channel: string, data: unknown): Promise<unknown>
}
interface PageWindow {
  live: PageLive
}

let server: PageServer
let live: LiveServer
let origin: string
let browser: Browser
let context: BrowserContext | null = null
const received: Array<{ channel: string; data: unknown }> = []

async function openTab(channels: string[]): Promise<Page> {
  context ??= await browser.newContext()
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  const query = channels.map((c) => `c=${c}`).join('&')
  await page.goto(`${origin}/?${query}`, { waitUntil: 'load' })
  await page.waitForFunction(() => (window as unknown as PageWindow).live.ready === true)
  return page
}

const state = (page: Page) => page.evaluate(() => (window as unknown as PageWindow).live)

async function allOpen(page: Page, channels: string[]): Promise<void> {
  await page.waitForFunction(
    (names) => names.every((n) => (window as unknown as PageWindow).live.status[n] === 'open'),
    channels,
  )
}

describeInChromium('one connection per browser (crossTab) in real Chromium', () => {
  beforeAll(async () => {
    server = await startPageServer(PAGE, { path: '/live', heartbeat: 1000 })
    ;({ live, origin } = server)
    live.on('message', (channel, data) => received.push({ channel, data }))
    browser = await launchChromium()
  })

  afterEach(async () => {
    await context?.close()
    context = null
    received.length = 0
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it('5 tabs following 3 channels share 1 connection: every tab gets every message, one leads, a send from any tab reaches the server once', async () => {
    const channels = ['a', 'b', 'c']
    const tabs: Page[] = []
    for (let i = 0; i < 5; i++) tabs.push(await openTab(channels))
    for (const tab of tabs) await allOpen(tab, channels)
    expect(live.stats().connections).toBe(1)
    const roles = await Promise.all(tabs.map(async (tab) => (await state(tab)).tab))
    expect(roles.filter((role) => role === 'leader')).toHaveLength(1)
    expect(roles.filter((role) => role === 'follower')).toHaveLength(4)
    // Every tab shows the transport the leader uses.
    for (const tab of tabs) expect((await state(tab)).transport).toBe('websocket')
    for (const channel of channels) for (let n = 1; n <= 10; n++) live.publish(channel, n)
    for (const tab of tabs) {
      await tab.waitForFunction(
        (names) =>
          names.every((n) => (window as unknown as PageWindow).live.received[n]?.length === 10),
        channels,
      )
      const { received: got } = await state(tab)
      for (const channel of channels) expect(got[channel]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    }
    for (const [i, tab] of tabs.entries()) {
      await tab.evaluate((n) => (window as unknown as PageWindow).live.send('a', { from: n }), i)
    }
    expect(received).toEqual(tabs.map((_, i) => ({ channel: 'a', data: { from: i } })))
    expect(live.stats().connections).toBe(1)
  })

  it("client.inspect() reports each tab's role as it changes, and the leader the shared connection's steps: a follower that takes over says leader", async () => {
    const first = await openTab(['a'])
    await allOpen(first, ['a'])
    const second = await openTab(['a'])
    await allOpen(second, ['a'])
    const roles = await Promise.all([first, second].map(async (tab) => (await state(tab)).tab))
    const leader = roles[0] === 'leader' ? first : second
    const follower = leader === first ? second : first
    expect((await state(leader)).roles.at(-1)).toBe('leader')
    expect((await state(follower)).roles).toEqual(['follower'])
    // The leader's inspector hears the shared connection's steps too (its relay's WebSocket);
    // a follower's, only its link to the leader.
    expect((await state(leader)).tries).toContain('shared websocket')
    expect((await state(follower)).tries).not.toContain('shared websocket')
    expect((await state(follower)).tries).toContain('tab')
    await leader.close()
    await follower.waitForFunction(
      () => (window as unknown as PageWindow).live.roles.at(-1) === 'leader',
    )
    expect((await state(follower)).roles).toEqual(['follower', 'leader'])
  })

  it.each(['close', 'crash', 'navigate', 'freeze'] as const)(
    'the leading tab goes (%s) mid-stream of 1,000 messages: another leads within 3 s (8 s when frozen), every other tab ends with 1,000 of 1,000 in order',
    async (how) => {
      const tabs: Page[] = []
      for (let i = 0; i < 3; i++) tabs.push(await openTab(['seq']))
      for (const tab of tabs) await allOpen(tab, ['seq'])
      const roles = await Promise.all(tabs.map(async (tab) => (await state(tab)).tab))
      const leader = tabs[roles.indexOf('leader')] as Page
      const others = tabs.filter((tab) => tab !== leader)
      let goneAt = 0
      for (let n = 1; n <= 1000; n++) {
        live.publish('seq', n)
        if (n % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
        if (n === 400) {
          goneAt = performance.now()
          if (how === 'close') await leader.close()
          else if (how === 'crash') await leader.close({ runBeforeUnload: false })
          else if (how === 'navigate') await leader.goto('about:blank')
          else {
            // Frozen: no script of it runs any more, yet it keeps its lock, as a tab the browser
            // froze (or a hung one). (Page.setWebLifecycleState does not freeze a visible page
            // in headless Chromium; pausing its scripts does what freezing does to them.)
            const cdp = await leader.context().newCDPSession(leader)
            await cdp.send('Debugger.enable')
            await cdp.send('Debugger.pause')
          }
        }
      }
      const led = await Promise.race(
        others.map((tab) =>
          tab
            .waitForFunction(
              () => (window as unknown as PageWindow).live.tab === 'leader',
              undefined,
              {
                timeout: 15_000,
              },
            )
            .then(() => performance.now()),
        ),
      )
      console.log(
        `crossTab failover (${how}): a new leader ${Math.round(led - goneAt)} ms after the leader went`,
      )
      // Closed, crashed or gone: the browser hands the lock on at once. Frozen: the others take
      // it after 5 to 6 s of silence.
      expect(led - goneAt).toBeLessThan(how === 'freeze' ? 8000 : 3000)
      for (const tab of others) {
        await tab.waitForFunction(
          () => (window as unknown as PageWindow).live.received.seq?.length === 1000,
          undefined,
          { timeout: 20_000 },
        )
        const { received: got } = await state(tab)
        expect(got.seq).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1))
      }
    },
  )
})
