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
import type { InspectableClient, LiveDataDevtoolsElement } from '../src/index'

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

// A page to drive the element from the tests: its clients, what they were asked to inspect (how
// many times, how many still listened), the rejections nobody handled.
const LAB = `
import { createLiveClient } from '@livedata/core'
import { defineDevtools } from '../dist/index.js'
defineDevtools()
const lab = { calls: 0, listening: 0, rejections: [] }
addEventListener('unhandledrejection', (event) => lab.rejections.push(String(event.reason)))
lab.client = (options) =>
  createLiveClient(Object.assign({ url: '/live', transports: ['sse'], reconnect: { minDelay: 10, maxDelay: 100 } }, options))
// What the panel is given: the client's inspect(), counted.
lab.counted = (client) => ({
  inspect(listener) {
    lab.calls++
    lab.listening++
    const stop = client.inspect(listener)
    return () => {
      lab.listening--
      stop()
    }
  },
})
lab.show = (client) => {
  const panel = document.createElement('livedata-devtools')
  panel.client = client
  document.body.append(panel)
  window.panel = panel
  return panel
}
// Two animation frames: the panel has drawn what it heard before them.
lab.drawn = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))
window.lab = lab
window.ready = true
`

async function bundle(app: string, production = false): Promise<string> {
  const result = await build({
    stdin: { contents: app, resolveDir: here, loader: 'js' },
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

// Plain endpoints (`source(name, { url })`) that refuse with a message of their own.
const HOSTILE_MESSAGE = '<img src=y onerror=window.pwned=2><script>window.pwned=3</script>'
const REFUSALS: Record<string, string> = {
  '/refuse-hostile': HOSTILE_MESSAGE,
  '/refuse-long': 'b'.repeat(5_000),
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

/** The /lab page's helpers (see LAB). */
interface Lab {
  calls: number
  listening: number
  rejections: string[]
  client(options?: Record<string, unknown>): LabClient
  counted(client: LabClient): InspectableClient
  show(client: InspectableClient | null): LiveDataDevtoolsElement
  drawn(): Promise<void>
}
interface LabClient extends InspectableClient {
  source(
    channel: string,
    options?: { url: string },
  ): {
    subscribe(listener: () => void): () => void
    getSnapshot(): { status: string; lastEventId: string | null; error: unknown }
  }
}
interface LabWindow {
  lab: Lab
  panel: LiveDataDevtoolsElement
  client: LabClient
  kept: InspectableClient
  pwned?: number
  control?: number
  ready?: boolean
}

/** Opens the /lab page; `errors` collects what the page threw and nobody caught. */
async function openLab(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage()
  page.setDefaultTimeout(15_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(`${origin}/lab`)
  await page.waitForFunction(() => (window as unknown as LabWindow).ready === true)
  return { page, errors }
}

/**
 * Opens the /lab page with the WebSocket blocked, a client whose `prices` source is followed and
 * whose `inspect()` calls are counted, and the panel on it, once the source is open on SSE.
 */
async function openInspectedLab(): Promise<{ page: Page; errors: string[] }> {
  blockWebSocket = true
  const lab = await openLab()
  await lab.page.evaluate(() => {
    const w = window as unknown as LabWindow
    w.client = w.lab.client()
    w.client.source('prices').subscribe(() => {})
    w.lab.show(w.lab.counted(w.client))
  })
  await waitForRow(lab.page, 'state open on sse')
  return lab
}

/** The panel's rows of sources, each as its cells' texts. */
function sourceRows(page: Page): Promise<string[][]> {
  return page.evaluate(() =>
    [
      ...((window as unknown as LabWindow).panel.shadowRoot?.querySelectorAll('tbody tr') ?? []),
    ].map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent ?? '')),
  )
}

/** The panel's timeline rows as `seq type fields`. */
function numberedRows(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...((window as unknown as LabWindow).panel.shadowRoot?.querySelectorAll('ol li') ?? [])].map(
      (row) =>
        `${(row as HTMLElement).dataset.seq} ${row.querySelector('.type')?.textContent} ${row.querySelector('.fields')?.textContent}`,
    ),
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
    const [app, production, lab] = await Promise.all([bundle(APP), bundle(APP, true), bundle(LAB)])
    http = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname
      const pages: Record<string, [string, string]> = {
        '/': ['text/html', html('/app.js')],
        '/production': ['text/html', html('/production.js')],
        '/app.js': ['text/javascript', app],
        '/production.js': ['text/javascript', production],
        '/lab': ['text/html', html('/lab.js')],
        '/lab.js': ['text/javascript', lab],
      }
      const refusal = REFUSALS[path]
      if (refusal) {
        const body = JSON.stringify({ error: { code: 'ERR_FORBIDDEN', message: refusal } })
        return void response.writeHead(403, { 'Content-Type': 'application/json' }).end(body)
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
    // (A box of 410.4 px is 411 rows of pixels: within one.)
    expect(Math.abs(png.readUInt32BE(16) - box!.width)).toBeLessThan(1)
    expect(Math.abs(png.readUInt32BE(20) - box!.height)).toBeLessThan(1)
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

  it('moved in the page (taken out and put back in one task, as frameworks do), it stays subscribed: nothing lost, nothing twice', async () => {
    const { page, errors } = await openInspectedLab()
    const before = await numberedRows(page)
    const moved = await page.evaluate(async () => {
      const w = window as unknown as LabWindow
      const box = document.createElement('div')
      document.body.append(box)
      // Into another parent and back: each a disconnect and a connect, in this same task.
      box.append(w.panel)
      document.body.append(w.panel)
      await w.lab.drawn()
      return { calls: w.lab.calls, listening: w.lab.listening }
    })
    expect(moved).toEqual({ calls: 1, listening: 1 })
    const after = await numberedRows(page)
    // The rows drawn before are still there, as they were (later events may follow them).
    expect(after.slice(0, before.length)).toEqual(before)
    const id = live.publish('prices', 1)
    await waitForRow(page, `cursor lastEventId ${id}`)
    const lines = await timeline(page)
    expect(lines.filter((line) => line === `cursor lastEventId ${id}`)).toHaveLength(1)
    expect(lines.filter((line) => line.startsWith('tab '))).toHaveLength(1)
    expect(lines.filter((line) => line.startsWith('state open on sse'))).toHaveLength(1)
    expect(await sourceRows(page)).toEqual([['prices', 'open', 'sse', '0', id, '', '0']])
    expect(errors).toEqual([])
    await page.close()
  }, 30_000)

  it('taken out of the page for real, stops listening; put back, starts over from where the client stands, with no row twice', async () => {
    const { page, errors } = await openInspectedLab()
    const removed = await page.evaluate(async () => {
      const w = window as unknown as LabWindow
      w.panel.remove()
      await w.lab.drawn()
      return { calls: w.lab.calls, listening: w.lab.listening }
    })
    expect(removed).toEqual({ calls: 1, listening: 0 })
    // Heard by the client, not by the panel taken out.
    const id = live.publish('prices', 'while out')
    await page.waitForFunction(
      (wanted) =>
        (window as unknown as LabWindow).client.source('prices').getSnapshot().lastEventId ===
        wanted,
      id,
    )
    await page.evaluate(() => {
      const w = window as unknown as LabWindow
      document.body.append(w.panel)
    })
    await waitForRow(page, `cursor lastEventId ${id}`)
    expect(
      await page.evaluate(() => {
        const w = window as unknown as LabWindow
        return { calls: w.lab.calls, listening: w.lab.listening }
      }),
    ).toEqual({ calls: 2, listening: 1 })
    // Where the client stands, once: its tab role, the source's state and cursor.
    expect(await timeline(page)).toEqual([
      'tab solo',
      'state open on sse',
      `cursor lastEventId ${id}`,
    ])
    expect(await sourceRows(page)).toEqual([['prices', 'open', 'sse', '0', id, '', '0']])
    expect(errors).toEqual([])
    await page.close()
  }, 30_000)

  it('folds and unfolds when the `collapsed` attribute is set or removed, and unfolded shows what came meanwhile', async () => {
    const { page } = await openInspectedLab()
    const panel = page.locator('livedata-devtools .panel')
    const badge = page.locator('livedata-devtools .badge')
    await page.evaluate(() => (window as unknown as LabWindow).panel.setAttribute('collapsed', ''))
    expect(await page.evaluate(() => (window as unknown as LabWindow).panel.collapsed)).toBe(true)
    expect(await panel.isVisible()).toBe(false)
    expect(await badge.textContent()).toBe('LiveData · 1/1 open')
    // An event while folded: in the model, not drawn.
    const id = live.publish('prices', 'while folded')
    await page.waitForFunction(
      (wanted) =>
        (window as unknown as LabWindow).panel.model.timeline.entries.some(
          ({ event }) => event.type === 'cursor' && event.lastEventId === wanted,
        ),
      id,
    )
    await page.evaluate(() => (window as unknown as LabWindow).lab.drawn())
    expect(await timeline(page)).not.toContain(`cursor lastEventId ${id}`)
    // Unfolded by the attribute alone (no event comes after): drawn at the next frame.
    const lines = await page.evaluate(async () => {
      const w = window as unknown as LabWindow
      w.panel.removeAttribute('collapsed')
      await w.lab.drawn()
      return [...(w.panel.shadowRoot?.querySelectorAll('ol li .fields') ?? [])].map(
        (cell) => cell.textContent,
      )
    })
    expect(lines).toContain(`lastEventId ${id}`)
    expect(await panel.isVisible()).toBe(true)
    expect(await badge.isVisible()).toBe(false)
    expect(await page.evaluate(() => (window as unknown as LabWindow).panel.collapsed)).toBe(false)
    await page.close()
  }, 30_000)

  it('`client = null` stops inspecting and clears the panel; a value with no inspect() throws a TypeError and the old client stays', async () => {
    const { page, errors } = await openInspectedLab()
    const cleared = await page.evaluate(async () => {
      const w = window as unknown as LabWindow
      w.panel.client = null
      await w.lab.drawn()
      const root = w.panel.shadowRoot
      return {
        client: w.panel.client,
        listening: w.lab.listening,
        sources: root?.querySelectorAll('tbody tr').length,
        rows: root?.querySelectorAll('ol li').length,
        events: w.panel.model.timeline.entries.length,
        badge: root?.querySelector('.badge')?.textContent,
        tab: root?.querySelector('.tab')?.textContent,
      }
    })
    expect(cleared).toEqual({
      client: null,
      listening: 0,
      sources: 0,
      rows: 0,
      events: 0,
      badge: 'LiveData · 0/0 open',
      tab: '',
    })

    await page.evaluate(() => {
      const w = window as unknown as LabWindow
      w.kept = w.lab.counted(w.client)
      w.panel.client = w.kept
    })
    await waitForRow(page, 'state open on sse')
    const refused = await page.evaluate(() => {
      const w = window as unknown as LabWindow
      const thrown: string[] = []
      for (const wrong of [{}, 'client', 42, { inspect: 'no' }]) {
        try {
          w.panel.client = wrong as unknown as InspectableClient
        } catch (error) {
          thrown.push(`${(error as Error).name}: ${(error as Error).message}`)
        }
      }
      return { thrown, kept: w.panel.client === w.kept, listening: w.lab.listening }
    })
    expect(refused.thrown).toHaveLength(4)
    for (const line of refused.thrown) expect(line).toMatch(/^TypeError: .*inspect\(\)/)
    expect(refused).toMatchObject({ kept: true, listening: 1 })
    const id = live.publish('prices', 'still heard')
    await waitForRow(page, `cursor lastEventId ${id}`)
    expect(errors).toEqual([])
    await page.close()
  }, 30_000)

  it('shows at most 200 characters of a 10,000-character source name, and of its error', async () => {
    const { page } = await openLab()
    const name = 'a'.repeat(10_000)
    await page.evaluate((key) => {
      const w = window as unknown as LabWindow
      w.client = w.lab.client()
      // A plain endpoint (any name goes) that refuses with a message of 5,000 characters.
      w.client.source(key, { url: '/refuse-long' }).subscribe(() => {})
      w.lab.show(w.client)
    }, name)
    await waitForRow(page, 'state closed')
    const shown = await page.evaluate(() => {
      const root = (window as unknown as LabWindow).panel.shadowRoot!
      const texts: string[] = []
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT)
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement?.localName !== 'style') texts.push(node.textContent ?? '')
      }
      for (const element of root.querySelectorAll('*')) {
        for (const attribute of element.attributes) texts.push(attribute.value)
      }
      return {
        longest: Math.max(...texts.map((text) => text.length)),
        cell: root.querySelector('tbody td')?.textContent,
        key: root.querySelector('tbody tr')?.getAttribute('data-channel'),
        title: root.querySelector('tbody tr')?.getAttribute('title') ?? '',
        state: root.querySelector('li[data-type=state]:last-child .fields')?.textContent ?? '',
      }
    })
    expect(shown.longest).toBeLessThanOrEqual(200)
    expect(shown.cell).toBe(`${'a'.repeat(199)}…`)
    expect(shown.key).toBe(shown.cell)
    // The error message (the core keeps 300 characters of it): cut too, and still there.
    expect(shown.title).toMatch(/bbbbbbbbbb.*…$/)
    expect(shown.title.length).toBeLessThanOrEqual(200)
    expect(shown.state).toMatch(/^closed .*ERR_.*bbbbbbbbbb.*…$/)
    await page.close()
  }, 30_000)

  it('shows a hostile source name and error message as text: no element made of them, nothing run', async () => {
    const { page, errors } = await openLab()
    const hostile = '<img src=x onerror=window.pwned=1>'
    await page.evaluate((name) => {
      const w = window as unknown as LabWindow
      w.client = w.lab.client()
      w.client.source(name, { url: '/refuse-hostile' }).subscribe(() => {})
      w.lab.show(w.client)
    }, hostile)
    await waitForRow(page, 'state closed')
    // A control: the same markup made into an element does run, once its image fails to load.
    await page.evaluate(() =>
      document.body.insertAdjacentHTML('beforeend', '<img src=z onerror=window.control=1>'),
    )
    await page.waitForFunction(() => (window as unknown as LabWindow).control === 1)
    const seen = await page.evaluate(() => {
      const w = window as unknown as LabWindow
      const root = w.panel.shadowRoot!
      return {
        pwned: w.pwned ?? null,
        made: root.querySelectorAll('img, script').length,
        cell: root.querySelector('tbody td')?.textContent,
        title: root.querySelector('tbody tr')?.getAttribute('title') ?? '',
        channels: [...root.querySelectorAll('li .channel')].map((cell) => cell.textContent),
        state: root.querySelector('li[data-type=state]:last-child .fields')?.textContent ?? '',
      }
    })
    expect(seen.pwned).toBe(null)
    expect(seen.made).toBe(0)
    expect(seen.cell).toBe(hostile)
    expect(seen.channels.every((text) => text === hostile || text === '(tab)')).toBe(true)
    expect(seen.title).toContain(HOSTILE_MESSAGE)
    expect(seen.state).toContain(HOSTILE_MESSAGE)
    expect(errors).toEqual([])
    await page.close()
  }, 30_000)

  it('names its parts for assistive technology: badge, buttons, filter, a polite status, a timeline not read out row by row; focus is visible', async () => {
    const { page } = await openInspectedLab()
    expect(await page.getByRole('region', { name: 'LiveData inspector' }).count()).toBe(1)
    for (const name of ['Copy as JSON', 'Clear', 'Fold the inspector down to a badge']) {
      expect(await page.getByRole('button', { name, exact: true }).isVisible(), name).toBe(true)
    }
    // The channel filter has a label of its own (a click on the word focuses it).
    const search = page.getByRole('searchbox', { name: 'channel', exact: true })
    expect(await search.count()).toBe(1)
    expect(await search.evaluate((input) => (input as HTMLInputElement).labels?.length)).toBe(1)
    for (const type of ['state', 'cursor', 'send']) {
      expect(await page.getByRole('checkbox', { name: type, exact: true }).count(), type).toBe(1)
    }
    expect(await page.getByRole('table', { name: 'Sources' }).count()).toBe(1)
    // What the panel has to say is a polite status, there while empty (to be heard once filled);
    // the timeline is a list, in no live region.
    const status = page.getByRole('status')
    expect(await status.count()).toBe(1)
    expect(await status.getAttribute('aria-live')).not.toBe('assertive')
    const list = page.getByRole('list', { name: 'Timeline' })
    expect(await list.count()).toBe(1)
    expect(
      await list.evaluate(
        (ol) =>
          ol.closest(
            '[aria-live]:not([aria-live=off]), [role=log], [role=status], [role=alert]',
          ) === null,
      ),
    ).toBe(true)

    // Reached with the keyboard, a button shows it has the focus.
    await page.keyboard.press('Tab')
    const focused = await page.evaluate(() => {
      const active = (window as unknown as LabWindow).panel.shadowRoot?.activeElement
      if (!active) return null
      const style = getComputedStyle(active)
      return [active.textContent, style.outlineStyle, style.outlineWidth]
    })
    expect(focused).toEqual(['Copy as JSON', 'solid', '2px'])

    // Folded, the badge is a button named by what it says.
    await page.getByRole('button', { name: 'Fold the inspector down to a badge' }).click()
    const badge = page.getByRole('button', { name: 'LiveData · 1/1 open', exact: true })
    expect(await badge.isVisible()).toBe(true)
    await badge.click()
    expect(await page.getByRole('button', { name: 'Clear', exact: true }).isVisible()).toBe(true)
    await page.close()
  }, 30_000)

  it('when the clipboard refuses, says so in the panel with the report to copy by hand: no rejection unhandled, an odd cause spelled out', async () => {
    blockWebSocket = true
    const { page, errors } = await openLab()
    await page.evaluate(() => {
      const w = window as unknown as LabWindow
      // headers() fails with an error whose cause has no prototype, a getter that throws and a
      // cycle: the source reports ERR_INVALID_OPTIONS, with that error as its cause.
      const cause = Object.assign(Object.create(null), { status: 401 })
      Object.defineProperty(cause, 'detail', {
        enumerable: true,
        get() {
          throw new Error('no detail')
        },
      })
      cause.self = cause
      w.client = w.lab.client({
        headers: () => {
          throw new Error('token refresh failed', { cause })
        },
      })
      w.client.source('prices').subscribe(() => {})
      w.lab.show(w.client)
      Object.defineProperty(navigator.clipboard, 'writeText', {
        value: () =>
          Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError')),
      })
    })
    await waitForRow(page, 'state reconnecting on sse attempt 1 ERR_INVALID_OPTIONS')
    await page.getByRole('button', { name: 'Copy as JSON' }).click()
    // The report in a text area, or a rejection nobody handled: whichever comes first.
    await page.waitForFunction(() => {
      const w = window as unknown as LabWindow
      return w.lab.rejections.length > 0 || w.panel.shadowRoot?.querySelector('textarea')
    })
    expect(await page.evaluate(() => (window as unknown as LabWindow).lab.rejections)).toEqual([])
    const area = page.getByRole('textbox', { name: 'Report' })
    const report = JSON.parse(await area.inputValue())
    const status = await page.getByRole('status').textContent()
    expect(status).toContain('Clipboard refused (Write permission denied.)')
    const failed = report.events.find(
      (event: { type: string; error?: unknown }) => event.type === 'state' && event.error,
    )
    expect(failed.error).toMatchObject({
      name: 'LiveDataError',
      code: 'ERR_INVALID_OPTIONS',
      cause: {
        name: 'Error',
        message: 'token refresh failed',
        cause: { status: 401, detail: '[thrown]', self: '[Circular]' },
      },
    })
    expect(await page.getByRole('button', { name: 'Selected' }).count()).toBe(1)
    await page.evaluate(() => (window as unknown as LabWindow).lab.drawn())
    expect(await page.evaluate(() => (window as unknown as LabWindow).lab.rejections)).toEqual([])
    expect(errors).toEqual([])
    await page.close()
  }, 30_000)

  it("shows the leading tab's shared connection (crossTab) as a source of its own, marked shared", async () => {
    blockWebSocket = true
    const { page } = await openLab()
    await page.evaluate(() => {
      const w = window as unknown as LabWindow
      w.client = w.lab.client({ crossTab: true })
      w.client.source('prices').subscribe(() => {})
      w.lab.show(w.client)
    })
    await expect
      .poll(async () => (await sourceRows(page)).map((cells) => cells.slice(0, 3)).sort())
      .toEqual([
        ['prices shared', 'open', 'sse'],
        // The tab's own source rides the shared connection: it shows that one's transport.
        ['prices', 'open', 'sse'],
      ])
    const tags = await page.evaluate(() =>
      [...((window as unknown as LabWindow).panel.shadowRoot?.querySelectorAll('li') ?? [])].map(
        (row) =>
          `${row.querySelector('.channel')?.textContent} ${row.querySelector('.type')?.textContent}`,
      ),
    )
    expect(tags).toEqual(
      expect.arrayContaining([
        '(tab) tab',
        'prices state',
        'prices shared try',
        'prices shared state',
      ]),
    )
    expect(await page.locator('livedata-devtools .tab').textContent()).toBe('tab: leader')
    await page.close()
  }, 30_000)
})
