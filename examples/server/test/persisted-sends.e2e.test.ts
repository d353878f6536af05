import { readFile } from 'node:fs/promises'
import type { IncomingMessage, Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import type { LiveServer } from '@livedata/server'
import type { Browser, BrowserContext, Page, Route } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { describeInChromium, launchChromium, type PageServer, startPageServer } from './browser'

// createLiveClient({ persistSends }) in real Chromium: sends made offline survive a reload and
// reach a real @livedata/server once each, in order, when the browser is back online.
//
// The page and the core bundle are answered by the test itself (context.route), not by the
// server: an offline browser cannot reload a page from the network, and a real app would have
// it from a service worker or the HTTP cache. Only the live path goes over the network.

const PAGE = `<!doctype html><meta charset="utf-8"><title>persisted sends</title>
<script type="module">
import { createLiveClient } from '/core/index.js'
const client = createLiveClient({ url: '/live', transports: ['websocket'], persistSends: true,
  sendTimeout: 600000, maxQueuedSends: 5000, reconnect: { minDelay: 10, maxDelay: 200 }, upgrade: false })
const chat = client.source('chat')
const live = { settled: [], status: null, reported: [] }
window.live = live
// What the inspector hears of sends: a previous page's, flushed from here, among them.
client.inspect((event) => { if (event.type === 'send') live.reported.push([event.id, event.state]) })
live.follow = () => chat.subscribe(() => { live.status = chat.getSnapshot().status })
live.sendAll = (count, pad = '') => {
  for (let n = 0; n < count; n++) {
    chat.send(pad ? { n, pad } : { n })
      .then(() => live.settled.push('ok ' + n), (e) => live.settled.push(e.code + ' ' + n))
  }
}
// The sends IndexedDB holds now (key 0 is the store's totals).
live.stored = () => new Promise((resolve, reject) => {
  const opening = indexedDB.open('livedata')
  opening.onerror = () => reject(opening.error)
  opening.onsuccess = () => {
    const db = opening.result
    if (!db.objectStoreNames.contains('sends')) return resolve([])
    const all = db.transaction('sends').objectStore('sends').getAll(IDBKeyRange.lowerBound(1))
    all.onsuccess = () => { db.close(); resolve(all.result.map((record) => JSON.parse(record.text).n)) }
    all.onerror = () => reject(all.error)
  }
})
// Resolves once IndexedDB holds \`count\` sends, looking again after each change could land.
live.storedCount = async (count) => {
  while ((await live.stored()).length !== count) await new Promise((r) => setTimeout(r, 10))
}
live.ready = true
</script>`

/** What the page keeps on `window.live`. */
interface PageLive {
  ready?: boolean
  status: string | null
  settled: string[]
  /** The inspector's send events, `[idempotency key, state]`, in order. */
  reported: Array<[string, string]>
  follow(): void
  sendAll(count: number, pad?: string): void
  stored(): Promise<number[]>
  storedCount(count: number): Promise<void>
}
/** The page's window, as the page functions below see it (they run in the page: no helpers). */
interface PageWindow {
  live: PageLive
}

const CORE_DIST = fileURLToPath(new URL('../../../packages/core/dist/', import.meta.url))

/** Answers the page and the core's files from here, online or not; the rest goes to the network. */
async function servePage(route: Route): Promise<void> {
  const { pathname } = new URL(route.request().url())
  if (pathname === '/') {
    return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: PAGE })
  }
  const name = pathname.replace(/^\/core\//, '')
  if (pathname.startsWith('/core/') && /^[\w.-]+\.js$/.test(name)) {
    const body = await readFile(`${CORE_DIST}${name}`)
    return route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body })
  }
  return route.fallback()
}

let server: PageServer
let live: LiveServer
let origin: string
let browser: Browser
const contexts = new Set<BrowserContext>()
/** What the server's `message` listener received, in order. */
const received: unknown[] = []
/** POSTs on the live path, delivered or not (a repeat is answered without reaching listeners). */
let posts = 0
const arrivals: Array<() => void> = []

describeInChromium('persisted sends in real Chromium', () => {
  beforeAll(async () => {
    // The pages' routes answer the page and the core's files (offline too); the server takes the rest.
    server = await startPageServer(PAGE, { path: '/live', heartbeat: 1000 })
    ;({ live, origin } = server)
    live.on('message', (channel, data) => {
      received.push(channel === 'chat' ? (data as { n: number }).n : [channel, data])
      for (const wake of arrivals.splice(0)) wake()
    })
    // After attach, so that the requests the live server takes are seen too.
    const { http } = server
    const emit = http.emit
    http.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'request' && (args[0] as IncomingMessage).method === 'POST') posts++
      return Reflect.apply(emit, this, [event, ...args]) as boolean
    } as Server['emit']
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  afterEach(async () => {
    await Promise.all([...contexts].map((context) => context.close()))
    contexts.clear()
    received.length = 0
    posts = 0
  })

  /** A fresh browser context (its own IndexedDB) whose page and core files come from here. */
  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext()
    contexts.add(context)
    await context.route(`${origin}/**`, servePage)
    return context
  }

  /** Opens the page offline, follows the channel (status offline) and sends `count`, all kept. */
  async function sendOffline(context: BrowserContext, count: number): Promise<Page> {
    const page = await openPage(context)
    await context.setOffline(true)
    await page.evaluate(() => (window as unknown as PageWindow).live.follow())
    await page.waitForFunction(() => (window as unknown as PageWindow).live.status === 'offline')
    await page.evaluate((n) => (window as unknown as PageWindow).live.sendAll(n), count)
    await page.evaluate((n) => (window as unknown as PageWindow).live.storedCount(n), count)
    return page
  }

  async function openPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    await page.goto(`${origin}/`, { waitUntil: 'load' })
    await page.waitForFunction(() => (window as unknown as PageWindow).live?.ready === true)
    return page
  }

  /** Resolves once the server received `count` sends in all. */
  async function receivedCount(count: number): Promise<void> {
    while (received.length < count) await new Promise<void>((wake) => arrivals.push(wake))
  }

  it('20 sends made offline, then a reload, then online: the server receives each once, in order', async () => {
    const context = await newContext()
    const page = await openPage(context)
    await context.setOffline(true)
    await page.evaluate(() => (window as unknown as PageWindow).live.follow())
    await page.waitForFunction(() => (window as unknown as PageWindow).live.status === 'offline')
    await page.evaluate(() => (window as unknown as PageWindow).live.sendAll(20))
    const all = Array.from({ length: 20 }, (_, n) => n)
    // Every send is in IndexedDB before the page goes: none has settled.
    await page.evaluate(() => (window as unknown as PageWindow).live.storedCount(20))
    expect(await page.evaluate(() => (window as unknown as PageWindow).live.stored())).toEqual(all)
    expect(await page.evaluate(() => (window as unknown as PageWindow).live.settled)).toEqual([])

    await page.reload({ waitUntil: 'load' })
    await page.waitForFunction(() => (window as unknown as PageWindow).live?.ready === true)
    // Still offline: nothing reached the server, the new page holds the previous page's sends.
    expect(await page.evaluate(() => (window as unknown as PageWindow).live.stored())).toEqual(all)
    expect(received).toEqual([])

    await context.setOffline(false)
    await receivedCount(20)
    // Acknowledged sends leave IndexedDB; once it is empty nothing more can go out.
    await page.evaluate(() => (window as unknown as PageWindow).live.storedCount(0))
    expect(received).toEqual(all)
    // The page that flushed them told its inspector: each previous page's send, in order, sent
    // (again, for the first, if the flush tried it while still offline) then acknowledged, once.
    const reported = await page.evaluate(() => (window as unknown as PageWindow).live.reported)
    const keys = [...new Set(reported.map(([key]) => key))]
    expect(keys).toHaveLength(20)
    const changes = reported.filter(
      ([key, state], i) => key !== reported[i - 1]?.[0] || state !== reported[i - 1]?.[1],
    )
    expect(changes).toEqual(
      keys.flatMap((key) => [
        [key, 'sent'],
        [key, 'acked'],
      ]),
    )
  })

  it('the sends a page left are flushed by one tab only, when two open after it', async () => {
    const context = await newContext()
    const first = await sendOffline(context, 20)
    // The page is reloaded, and a second tab of the app opens, both still offline.
    await first.reload({ waitUntil: 'load' })
    const second = await context.newPage()
    await second.goto(`${origin}/`, { waitUntil: 'load' })
    for (const page of [first, second]) {
      await page.waitForFunction(() => (window as unknown as PageWindow).live?.ready === true)
    }
    await context.setOffline(false)
    await receivedCount(20)
    await first.evaluate(() => (window as unknown as PageWindow).live.storedCount(0))
    expect(received).toEqual(Array.from({ length: 20 }, (_, n) => n))
    // Both tabs came online and flushed; only the one holding the lock sent anything.
    expect(posts).toBe(20)
  })

  it('past 1,000 sends or 1 MiB kept, a send is refused with ERR_SEND_QUEUE_FULL', async () => {
    const context = await newContext()
    const page = await sendOffline(context, 1000)
    await page.evaluate(() => (window as unknown as PageWindow).live.sendAll(1))
    await page.waitForFunction(() => (window as unknown as PageWindow).live.settled.length === 1)
    expect(await page.evaluate(() => (window as unknown as PageWindow).live.settled)).toEqual([
      'ERR_SEND_QUEUE_FULL 0',
    ])

    const other = await newContext()
    const bytes = await sendOffline(other, 0)
    // Two sends of 600 KB: the first is kept, the second would pass 1 MiB.
    await bytes.evaluate(() =>
      (window as unknown as PageWindow).live.sendAll(2, 'x'.repeat(600_000)),
    )
    await bytes.waitForFunction(() => (window as unknown as PageWindow).live.settled.length === 1)
    expect(await bytes.evaluate(() => (window as unknown as PageWindow).live.settled)).toEqual([
      'ERR_SEND_QUEUE_FULL 1',
    ])
    expect(await bytes.evaluate(() => (window as unknown as PageWindow).live.stored())).toEqual([0])
  })
})
