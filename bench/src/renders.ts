// The renders section of `pnpm bench`: how many React commits a burst of messages published in
// one tick causes, in Chromium. The page (renders-page.tsx, bundled by renders-bundle.ts) shows a
// counter folded by @livedata/react's useLiveData and counts its commits with a <Profiler>; the
// bench's process serves it and the live server on loopback, and publishes the bursts.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TransportName } from '@livedata/core'
import { createLiveServer } from '@livedata/server'
import type { Browser, Page } from 'playwright-core'
import { chromiumPath, hasChromium, launchChromium } from './chromium'
import { bundleRendersPage } from './renders-bundle'
import { printTable } from './table'

/** Messages per burst, all published in one tick. */
const MESSAGES = Number(process.env.BENCH_RENDERS_MESSAGES ?? 1000)
/** Bursts per transport, one after the other on the same page. */
const BURSTS = Number(process.env.BENCH_RENDERS_BURSTS ?? 3)
/** A step that has not ended after this long is reported, not waited for. */
const TIMEOUT = 30_000

const TRANSPORTS: TransportName[] = ['websocket', 'sse', 'long-polling']

/** What the section measured for one transport. */
export interface RendersRow {
  transport: TransportName
  messages: number
  /** Commits caused by each burst, in order. */
  renders: number[]
  /** Why the transport could not be measured (then `renders` has the bursts before). */
  error?: string
}

const HTML =
  '<!doctype html><html><head><meta charset="utf-8"><title>renders</title></head><body><div id="root"></div><script type="module" src="/page.js"></script></body></html>'

/** Commits the page counted so far. */
const commits = (tab: Page) =>
  tab.evaluate(() => (window as unknown as { commits: number }).commits)

/** Resolves after two animation frames: a commit scheduled by the last message has run. */
const settled = (tab: Page) =>
  tab.evaluate(
    () =>
      new Promise<void>((resolve) =>
        requestAnimationFrame(() => requestAnimationFrame(() => resolve())),
      ),
  )

/**
 * The renders section: per transport, a fresh page that subscribes, then BURSTS bursts of
 * MESSAGES messages, each published synchronously in one tick once the page shows the last
 * burst's count; the commits each burst caused. Without Chromium: one loud line, and `null`.
 */
export async function rendersSection(): Promise<RendersRow[] | null> {
  console.log(
    `\nReact renders caused by a burst of ${MESSAGES.toLocaleString('en')} messages published in one tick: Chromium, @livedata/react useLiveData with a counting reduce, commits counted by <Profiler onRender> (React's profiling build), ${BURSTS} bursts per transport\n`,
  )
  if (!hasChromium()) {
    console.log(
      `!!! NO CHROMIUM at ${chromiumPath}: the renders section is skipped. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH).`,
    )
    return null
  }
  let browser: Browser
  try {
    browser = await launchChromium()
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    console.log(
      `!!! NO CHROMIUM: ${chromiumPath} did not start (${reason}); the renders section is skipped. Reinstall it with: apt-get install -y chromium (or set CHROMIUM_PATH).`,
    )
    return null
  }
  const script = await bundleRendersPage()
  const http = createServer((request, response) => {
    if (request.url === '/page.js') {
      response.writeHead(200, { 'Content-Type': 'text/javascript' })
      response.end(script)
    } else if (request.url?.startsWith('/?')) {
      response.writeHead(200, { 'Content-Type': 'text/html' })
      response.end(HTML)
    } else {
      response.writeHead(404).end()
    }
  })
  const live = createLiveServer({ history: MESSAGES * BURSTS }).attach(http)
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  const rows: RendersRow[] = []
  try {
    for (const transport of TRANSPORTS) {
      process.stderr.write(`  renders, ${transport}…\n`)
      const context = await browser.newContext()
      const tab = await context.newPage()
      tab.setDefaultTimeout(TIMEOUT)
      const channel = `renders-${transport}`
      const renders: number[] = []
      let error: string | undefined
      try {
        await tab.goto(`${origin}/?transport=${transport}&channel=${channel}`)
        await tab.waitForSelector('#count[data-status="open"]')
        await settled(tab)
        for (let burst = 1; burst <= BURSTS; burst++) {
          const before = await commits(tab)
          for (let seq = 0; seq < MESSAGES; seq++) live.publish(channel, { seq })
          await tab.waitForFunction(
            (shown) => document.getElementById('count')?.textContent === shown,
            String(burst * MESSAGES),
          )
          await settled(tab)
          renders.push((await commits(tab)) - before)
        }
      } catch (failure) {
        error = failure instanceof Error ? failure.message.split('\n')[0] : String(failure)
      } finally {
        await context.close()
      }
      rows.push({ transport, messages: MESSAGES, renders, error })
    }
  } finally {
    await browser.close()
    await live.close()
    http.closeAllConnections()
    await new Promise<void>((resolve) => http.close(() => resolve()))
  }
  printTable(
    ['transport', 'messages', 'renders (max)', 'per burst'],
    rows.map(({ transport, messages, renders, error }) => [
      transport,
      messages.toLocaleString('en'),
      error ? 'FAILED' : String(Math.max(...renders)),
      error ? `${renders.join(', ')} ${error}`.trim() : renders.join(', '),
    ]),
    new Set([1, 2]),
  )
  return rows
}
