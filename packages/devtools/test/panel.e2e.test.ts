import { once } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createLiveServer, type LiveServer } from '@livedata/server'
import { describeInChromium, launchChromium } from '@livedata/test-chromium'
import { build } from 'esbuild'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'

// The panel in real Chromium, over a real @livedata/server on loopback: everything is read from
// the panel's DOM (its shadow root), never from the client. The page script is bundled at test
// time from the built @livedata/core (its default, inspectable build, or with the `production`
// condition its production build) and the built @livedata/devtools (dist: build it first).

const here = fileURLToPath(new URL('.', import.meta.url))
const OUTPUT = fileURLToPath(new URL('../.test-output/', import.meta.url))

const APP = `
import { createLiveClient } from '@livedata/core'
import { showDevtools } from '../dist/index.js'
const client = createLiveClient({
  url: '/live',
  transports: ['websocket', 'sse'],
  upgrade: { minDelay: 300, maxDelay: 300 },
  reconnect: { minDelay: 10, maxDelay: 100 },
})
window.hide = showDevtools(client)
window.prices = client.source('prices')
window.prices.subscribe(() => {})
window.ready = true
`

async function bundle(production: boolean): Promise<string> {
  const result = await build({
    stdin: { contents: APP, resolveDir: here, loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: production ? ['production'] : [],
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

const html = (script: string) =>
  `<!doctype html><meta charset="utf-8"><title>devtools</title><h1>app</h1><script type="module" src="${script}"></script>`

let http: Server
let live: LiveServer
let origin: string
let browser: Browser
// While set, WebSocket upgrades are refused (the socket is destroyed before any answer): the
// client's WebSocket fails to open, as behind a proxy that does not pass them.
let blockWebSocket = true
const sockets = new Set<Socket>()

/** The panel's timeline, one `type fields` line per row, read from its shadow root. */
function timeline(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [
      ...(document.querySelector('livedata-devtools')?.shadowRoot?.querySelectorAll('ol li') ?? []),
    ].map(
      (row) =>
        `${row.querySelector('.type')?.textContent} ${row.querySelector('.fields')?.textContent}`,
    ),
  )
}

/** Waits until the panel's timeline has a row starting with `line`. */
function waitForRow(page: Page, line: string): Promise<unknown> {
  return page.waitForFunction(
    (wanted) =>
      [
        ...(document.querySelector('livedata-devtools')?.shadowRoot?.querySelectorAll('ol li') ??
          []),
      ].some((row) =>
        `${row.querySelector('.type')?.textContent} ${row.querySelector('.fields')?.textContent}`.startsWith(
          wanted,
        ),
      ),
    line,
  )
}

/** Whether `expected` occur in `lines` in this order, each as a line's prefix (others may come between). */
function inOrder(lines: string[], expected: string[]): boolean {
  let at = 0
  for (const line of lines) if (at < expected.length && line.startsWith(expected[at]!)) at++
  return at === expected.length
}

describeInChromium('the devtools panel in real Chromium', () => {
  beforeAll(async () => {
    const [app, production] = await Promise.all([bundle(false), bundle(true)])
    http = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname
      const pages: Record<string, [string, string]> = {
        '/': ['text/html', html('/app.js')],
        '/production': ['text/html', html('/production.js')],
        '/app.js': ['text/javascript', app],
        '/production.js': ['text/javascript', production],
      }
      const page = pages[path]
      if (!page) return void response.writeHead(404).end()
      response.writeHead(200, { 'Content-Type': `${page[0]}; charset=utf-8` }).end(page[1])
    })
    const emit = http.emit.bind(http) as (name: string, ...args: unknown[]) => boolean
    http.emit = ((name: string, ...args: unknown[]) => {
      if (name === 'upgrade' && blockWebSocket) {
        ;(args[1] as Socket).destroy()
        return true
      }
      return emit(name, ...args)
    }) as typeof http.emit
    live = createLiveServer({ path: '/live', heartbeat: 1000 })
    live.attach(http)
    http.on('connection', (socket: Socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    http.listen(0, '127.0.0.1')
    await once(http, 'listening')
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await live?.close()
    http?.closeAllConnections()
    http?.close()
  })

  it('shows the fallback from a blocked WebSocket to SSE and the probe back up, in order, and a screenshot of it', async () => {
    blockWebSocket = true
    const page = await browser.newPage()
    page.setDefaultTimeout(15_000)
    await page.goto(`${origin}/`)
    await waitForRow(page, 'state open on sse')
    blockWebSocket = false
    await waitForRow(page, 'probe websocket upgraded')

    expect(
      inOrder(await timeline(page), [
        'try websocket',
        'fallback websocket → sse',
        'try sse',
        'state open on sse',
        'probe websocket started',
        // The core switches the source over, then reports the probe's result.
        'state open on websocket',
        'probe websocket upgraded',
      ]),
      (await timeline(page)).join('\n'),
    ).toBe(true)

    const row = page.locator('livedata-devtools tbody tr[data-channel="prices"]')
    await expect
      .poll(() => row.locator('td').allInnerTexts())
      .toEqual(['prices', 'open', 'websocket', '0', expect.any(String), '', '0'])

    const panel = page.locator('livedata-devtools')
    expect(await panel.isVisible()).toBe(true)
    const text = await panel.locator('.panel').textContent()
    expect(text).toContain('LiveData inspector')
    expect(text).toContain('fallback')
    expect(text).toContain('websocket upgraded')
    const box = await panel.boundingBox()
    expect(box?.width).toBeGreaterThan(200)
    expect(box?.height).toBeGreaterThan(100)
    mkdirSync(OUTPUT, { recursive: true })
    const png = await panel.screenshot({ path: `${OUTPUT}panel.png` })
    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    )
    // IHDR: the image is the panel's size (at the page's scale of 1), and not blank bytes.
    expect(png.readUInt32BE(16)).toBe(Math.round(box!.width))
    expect(png.readUInt32BE(20)).toBe(Math.round(box!.height))
    expect(png.length).toBeGreaterThan(2_000)
    expect(png.length).toBeLessThan(5_000_000)
    writeFileSync(`${OUTPUT}panel.txt`, (await timeline(page)).join('\n'))
    await page.close()
  }, 30_000)

  it('filters the timeline, keeps up with a burst, and stops listening once removed', async () => {
    blockWebSocket = false
    const page = await browser.newPage()
    page.setDefaultTimeout(15_000)
    await page.goto(`${origin}/`)
    await waitForRow(page, 'state open on websocket')

    // A burst of 2,000 messages: one cursor event each; the panel keeps the last 1,000.
    let last = ''
    for (let n = 0; n < 2000; n++) last = live.publish('prices', n)
    await waitForRow(page, `cursor lastEventId ${last}`)
    const count = page.locator('livedata-devtools .count')
    await expect.poll(() => count.textContent()).toMatch(/^1000 shown of 1000 kept, \d+ dropped$/)
    expect(await page.locator('livedata-devtools ol li').count()).toBe(1000)

    await page.locator('livedata-devtools input[data-type="cursor"]').uncheck()
    await expect
      .poll(async () => new Set((await timeline(page)).map((line) => line.split(' ')[0])))
      .not.toContain('cursor')
    await page.locator('livedata-devtools input[type="search"]').fill('nothing-like-this')
    await expect.poll(() => page.locator('livedata-devtools ol li').count()).toBe(0)

    type Page = {
      hide: () => void
      panel: { model: { timeline: { entries: Array<{ seq: number }> } } }
      prices: { getSnapshot(): { lastEventId: string | null } }
    }
    // The number of the last event the panel heard (the timeline is full: its length stays put).
    const heard = () =>
      page.evaluate(() => (window as unknown as Page).panel.model.timeline.entries.at(-1)?.seq)
    await page.evaluate(() => {
      const w = window as unknown as { panel: unknown; hide: () => void }
      w.panel = document.querySelector('livedata-devtools')
      w.hide()
    })
    expect(await page.locator('livedata-devtools').count()).toBe(0)
    const before = await heard()
    // Detached, the element hears nothing more, though the client goes on.
    const id = live.publish('prices', 'after')
    await page.waitForFunction(
      (wanted) => (window as unknown as Page).prices.getSnapshot().lastEventId === wanted,
      id,
    )
    expect(await heard()).toBe(before)
    await page.close()
  }, 30_000)

  it('copies the report as JSON to the clipboard: states, events with their errors spelled out, user agent', async () => {
    blockWebSocket = true
    const context = await browser.newContext()
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin })
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    await page.goto(`${origin}/`)
    await waitForRow(page, 'state open on sse')
    await page.locator('livedata-devtools button', { hasText: 'Copy as JSON' }).click()
    await expect
      .poll(() => page.locator('livedata-devtools header button').first().textContent())
      .toBe('Copied')
    const report = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()))
    expect(report.userAgent).toBe(await page.evaluate(() => navigator.userAgent))
    expect(report.tab).toBe('solo')
    expect(report.sources).toEqual([
      expect.objectContaining({ channel: 'prices', status: 'open', transport: 'sse' }),
    ])
    const fallback = report.events.find((event: { type: string }) => event.type === 'fallback')
    expect(fallback).toMatchObject({
      channel: 'prices',
      from: 'websocket',
      to: 'sse',
      error: {
        name: 'LiveDataError',
        code: expect.stringMatching(/^ERR_/),
        message: expect.stringMatching(/\S/),
      },
    })
    await context.close()
  }, 30_000)

  it('without a clipboard (an insecure origin has none), shows the JSON selected in a text area', async () => {
    blockWebSocket = false
    const page = await browser.newPage()
    page.setDefaultTimeout(15_000)
    // What a page served over plain http from another host gets: no navigator.clipboard.
    await page.addInitScript(() =>
      Object.defineProperty(navigator, 'clipboard', { value: undefined }),
    )
    await page.goto(`${origin}/`)
    await waitForRow(page, 'state open on websocket')
    await page.locator('livedata-devtools button', { hasText: 'Copy as JSON' }).click()
    const area = page.locator('livedata-devtools textarea')
    const report = JSON.parse(await area.inputValue())
    expect(report.sources[0]).toMatchObject({ channel: 'prices', transport: 'websocket' })
    expect(
      await page.evaluate(() => {
        const root = document.querySelector('livedata-devtools')?.shadowRoot
        const field = root?.querySelector('textarea')
        return root?.activeElement === field && field?.selectionEnd === field?.value.length
      }),
    ).toBe(true)
    await page.close()
  }, 30_000)

  it('folds down to a badge that says how many sources are open, and unfolds', async () => {
    blockWebSocket = false
    const page = await browser.newPage()
    page.setDefaultTimeout(15_000)
    await page.goto(`${origin}/`)
    await waitForRow(page, 'state open on websocket')
    const panel = page.locator('livedata-devtools .panel')
    const badge = page.locator('livedata-devtools .badge')
    expect(await badge.isVisible()).toBe(false)
    await page.getByRole('button', { name: 'Fold the inspector down to a badge' }).click()
    expect(await panel.isVisible()).toBe(false)
    expect(await badge.isVisible()).toBe(true)
    expect(await badge.textContent()).toBe('LiveData · 1/1 open')
    await badge.click()
    expect(await panel.isVisible()).toBe(true)
    expect(await badge.isVisible()).toBe(false)
    await page.close()
  }, 30_000)

  it('says inside the panel that the production build cannot be inspected, and the app goes on', async () => {
    const page = await browser.newPage()
    page.setDefaultTimeout(15_000)
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(`${origin}/production`)
    const message = page.locator('livedata-devtools .message')
    await expect.poll(() => message.textContent()).toContain('ERR_UNSUPPORTED')
    expect(await message.textContent()).toContain('production build')
    await page.waitForFunction(
      () =>
        (
          window as unknown as { prices?: { getSnapshot(): { status: string } } }
        ).prices?.getSnapshot().status === 'open',
    )
    expect(errors).toEqual([])
    await page.close()
  }, 30_000)
})
