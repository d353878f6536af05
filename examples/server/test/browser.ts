import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createLiveServer, type LiveServer, type LiveServerOptions } from '@livedata/server'
import { describeInChromium, launchChromium } from '@livedata/test-chromium'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { type DemoServer, startDemoServer } from '../src/server'

export { describeInChromium, launchChromium }

/** What a browser test of one demo page gets. */
export interface DemoPage {
  demo: DemoServer
  page: Page
  /** Lines the demo server logged. */
  serverLog: string[]
  /** Uncaught errors and console errors of the page. */
  pageErrors: string[]
}

/**
 * Declares a suite that opens `path` of the demo in Debian's Chromium. Locally without Chromium
 * the suite is skipped with a loud warning; in CI (`CI=true`) it fails instead.
 *
 * @example
 * ```ts
 * demoPageSuite('the Vue demo', 'vue', '/vue/', (ctx) => { it('…', async () => { ctx().page … }) })
 * ```
 */
export function demoPageSuite(
  title: string,
  app: string,
  path: string,
  body: (context: () => DemoPage) => void,
): void {
  const appIndex = fileURLToPath(new URL(`../../${app}/dist/index.html`, import.meta.url))
  describeInChromium(title, () => {
    let browser: Browser | undefined
    let context: DemoPage | undefined

    beforeAll(async () => {
      if (!existsSync(appIndex)) {
        throw new Error(
          `The ${app} app is not built (no ${appIndex}): run pnpm --filter @livedata/example-${app} build, or pnpm test, which builds it first.`,
        )
      }
      const serverLog: string[] = []
      const pageErrors: string[] = []
      const demo = await startDemoServer({
        port: 0,
        host: '127.0.0.1',
        log: (line) => serverLog.push(line),
      })
      browser = await launchChromium()
      const page = await browser.newPage()
      // Fail with Playwright's own message before vitest's timeout cuts the test short.
      page.setDefaultTimeout(20_000)
      page.on('pageerror', (error) => pageErrors.push(error.message))
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(message.text())
      })
      context = { demo, page, serverLog, pageErrors }
      await page.goto(new URL(path, demo.url).href)
    })

    afterAll(async () => {
      await browser?.close()
      await context?.demo.close()
    })

    body(() => {
      if (!context) throw new Error('the browser suite did not start')
      return context
    })
  })
}

/** Waits until the status badge says `open` over `transport`, then until AAPL's price changes. */
export async function expectMovingPrices(page: Page, transport = 'websocket'): Promise<void> {
  await page.waitForFunction(
    (expected) =>
      document.querySelector('[data-testid="status"]')?.textContent === 'open' &&
      document.querySelector('[data-testid="transport"]')?.textContent === expected,
    transport,
  )
  await page.waitForFunction(() =>
    /\d/.test(document.querySelector('[data-testid="price-AAPL"]')?.textContent ?? ''),
  )
  const first = await page.getByTestId('price-AAPL').textContent()
  if (!/^\$?[\d,]+\.\d\d$/.test(first ?? '')) throw new Error(`not a price: ${first}`)
  await page.waitForFunction(
    (before) => document.querySelector('[data-testid="price-AAPL"]')?.textContent !== before,
    first,
  )
}

const CORE_DIST = fileURLToPath(new URL('../../../packages/core/dist/', import.meta.url))

/**
 * Answers a page's request for a file of the core's build (`/core/index.js` and its chunks), so
 * that a bare test page can `import { createLiveClient } from '/core/index.js'`; anything else is
 * a 404.
 *
 * @example
 * ```ts
 * createServer((request, response) => void serveCoreFile(url.pathname, response))
 * ```
 */
export async function serveCoreFile(pathname: string, response: ServerResponse): Promise<void> {
  const name = pathname.replace(/^\/core\//, '')
  let body: Buffer | null = null
  if (/^[\w.-]+\.js$/.test(name)) body = await readFile(`${CORE_DIST}${name}`).catch(() => null)
  if (!body) {
    response.writeHead(404).end()
    return
  }
  response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' })
  response.end(body)
}

/** What {@link startPageServer} started. */
export interface PageServer {
  /** The node:http server, listening on loopback. */
  http: Server
  /** The live server attached to it. */
  live: LiveServer
  /** `http://127.0.0.1:<port>`, the page's origin. */
  origin: string
  /** Closes the live server, then the HTTP server and every connection it still holds. */
  close(): Promise<void>
}

/**
 * Starts a node:http server on loopback for a bare test page: `/` answers `page`, a path of
 * `routes` its handler, anything else {@link serveCoreFile}; a live server made with
 * `liveOptions` is attached to it. Listeners the test adds (`live.on`, `http.on`) right after it
 * resolves see every request, since no page has loaded yet.
 *
 * @example
 * ```ts
 * const server = await startPageServer(PAGE, { path: '/live', heartbeat: 1000 })
 * await page.goto(`${server.origin}/`)
 * await server.close()
 * ```
 */
export async function startPageServer(
  page: string,
  liveOptions: LiveServerOptions,
  routes: Record<string, (response: ServerResponse) => void> = {},
): Promise<PageServer> {
  const http = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    if (url.pathname === '/') {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      response.end(page)
      return
    }
    const route = Object.hasOwn(routes, url.pathname) ? routes[url.pathname] : undefined
    if (route) {
      route(response)
      return
    }
    await serveCoreFile(url.pathname, response)
  })
  const live = createLiveServer(liveOptions)
  live.attach(http)
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  return {
    http,
    live,
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    async close() {
      await live.close()
      http.closeAllConnections()
      http.close()
    },
  }
}
