import type { LiveServer } from '@livedata/server'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeInChromium, launchChromium, type PageServer, startPageServer } from './browser'

// A latest-value channel (`channels: { ticker: { keep: 'last' } }`) over the iframe transport,
// which only runs in a browser: the built core in real Chromium against @livedata/server on
// loopback. The other transports are in packages/core/test/keep-last.test.ts, which says why the
// test does not wait 5 s: the server hands a fresh subscriber its newest message whatever its
// age, so it must arrive with no publish after the join to carry it.
//
// The 100 ms is measured in the page from the stream's opening (the frame document's first
// post), not from `subscribe`: setting up a hidden iframe (the element, its navigation, and in
// Chromium a process of its own for the sandboxed frame) takes 150 to 450 ms on a loaded 2-core
// machine before any byte of the stream is read, with or without keep (the control below waits
// as long for its open). What keep adds is the message in the document's first bytes.

const PAGE = `<!doctype html><meta charset="utf-8"><title>keep last</title>
<script type="module">
import { createLiveClient } from '/core/index.js'
window.join = (channel) => {
  window.client?.close()
  window.client = createLiveClient({ url: '/live', transports: ['iframe'], heartbeatTimeout: 3000 })
  // Every message, in order, so that a repeat would show.
  const source = window.client.source(channel, { reduce: (list = [], message) => [...list, message] })
  const state = { opened: null, elapsed: null, snapshot: null }
  window.state = state
  const joined = performance.now()
  source.subscribe(() => {
    const snapshot = source.getSnapshot()
    if (state.opened === null && snapshot.status === 'open') state.opened = performance.now() - joined
    if (state.elapsed === null && snapshot.data !== undefined) state.elapsed = performance.now() - joined
    state.snapshot = {
      status: snapshot.status,
      transport: snapshot.transport,
      lastEventId: snapshot.lastEventId,
      data: snapshot.data ?? null,
      error: snapshot.error?.code ?? null,
    }
  })
}
window.ready = true
</script>`

/** What the page keeps on `window.state` for the client of the running test. */
interface PageState {
  /** ms from `subscribe` to the first snapshot with status `open`, measured in the page. */
  opened: number | null
  /** ms from `subscribe` to the first snapshot with data, measured in the page. */
  elapsed: number | null
  snapshot: {
    status: string
    transport: string | null
    lastEventId: string | null
    data: unknown[] | null
    error: string | null
  } | null
}
/** The page's window, as the page functions below see it. */
interface PageWindow {
  ready?: boolean
  state: PageState
  join(channel: string): void
}

let server: PageServer
let live: LiveServer
let browser: Browser
let page: Page

describeInChromium('a latest-value channel over the iframe transport in real Chromium', () => {
  beforeAll(async () => {
    server = await startPageServer(PAGE, { path: '/live', channels: { ticker: { keep: 'last' } } })
    live = server.live
    browser = await launchChromium()
    page = await browser.newPage()
    page.setDefaultTimeout(10_000)
    await page.goto(`${server.origin}/`)
    await page.waitForFunction(() => (window as unknown as PageWindow).ready === true)
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  const join = (channel: string) =>
    page.evaluate((c) => (window as unknown as PageWindow).join(c), channel)
  const state = () => page.evaluate(() => (window as unknown as PageWindow).state)

  it('an iframe client joining after the last publish gets it within 100 ms of the stream opening', async () => {
    live.publish('ticker', { price: 100 })
    const last = live.publish('ticker', { price: 101 })
    await join('ticker')
    await page.waitForFunction(() => (window as unknown as PageWindow).state.elapsed !== null)
    const first = await state()
    expect(first.snapshot).toMatchObject({
      data: [{ price: 101 }],
      lastEventId: last,
      transport: 'iframe',
      error: null,
    })
    const { opened, elapsed } = first
    if (opened === null || elapsed === null) throw new Error('the page measured no open')
    expect(elapsed - opened, `open after ${opened} ms, message after ${elapsed} ms`).toBeLessThan(
      100,
    )
    // Then live, with nothing repeated.
    const next = live.publish('ticker', { price: 102 })
    await page.waitForFunction(
      () => ((window as unknown as PageWindow).state.snapshot?.data?.length ?? 0) >= 2,
    )
    const after = await state()
    expect(after.snapshot).toMatchObject({
      data: [{ price: 101 }, { price: 102 }],
      lastEventId: next,
      error: null,
    })
  })

  it('an iframe client on a channel without keep gets nothing until the next publish', async () => {
    const last = live.publish('plain', { price: 101 })
    await join('plain')
    await page.waitForFunction(() => {
      const snapshot = (window as unknown as PageWindow).state.snapshot
      return snapshot?.status === 'open' && snapshot.lastEventId !== null
    })
    const open = await state()
    expect(open.snapshot).toMatchObject({ data: null, lastEventId: last, transport: 'iframe' })
    live.publish('plain', { price: 102 })
    await page.waitForFunction(
      () => (window as unknown as PageWindow).state.snapshot?.data !== null,
    )
    expect((await state()).snapshot?.data).toEqual([{ price: 102 }])
  })
})
