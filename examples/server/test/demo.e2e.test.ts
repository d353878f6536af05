import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoServer, startDemoServer } from '../src/server'

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const hasChromium = existsSync(executablePath)
const inCi = Boolean(process.env.CI)
const appIndex = fileURLToPath(new URL('../../react/dist/index.html', import.meta.url))

if (!hasChromium && !inCi) {
  console.warn(
    `\n!!! Skipping the demo's browser test: no Chromium at ${executablePath}.\n!!! Install it with: apt-get install -y chromium (or set CHROMIUM_PATH). In CI this test fails instead.\n`,
  )
}

const text = (page: Page, testId: string): Promise<string | null> =>
  page.getByTestId(testId).textContent()

describe.skipIf(!hasChromium && !inCi)('the demo in a real browser', () => {
  let demo: DemoServer | undefined
  let browser: Browser | undefined
  let page: Page
  const serverLog: string[] = []
  const pageErrors: string[] = []

  beforeAll(async () => {
    if (!hasChromium) {
      throw new Error(
        `The demo's browser test needs Chromium and there is none at ${executablePath}: run apt-get install -y chromium, or set CHROMIUM_PATH.`,
      )
    }
    if (!existsSync(appIndex)) {
      throw new Error(
        `The demo app is not built (no ${appIndex}): run pnpm --filter @livedata/example-react build, or run the test through turbo, which builds it first.`,
      )
    }
    demo = await startDemoServer({
      port: 0,
      host: '127.0.0.1',
      log: (line) => serverLog.push(line),
    })
    browser = await chromium.launch({
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    })
    page = await browser.newPage()
    // Fail with Playwright's own message before vitest's timeout cuts the test short.
    page.setDefaultTimeout(20_000)
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text())
    })
    await page.goto(demo.url)
  })

  afterAll(async () => {
    await browser?.close()
    await demo?.close()
  })

  it('connects over SSE and shows prices as they move', async () => {
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="status"]')?.textContent === 'open' &&
        document.querySelector('[data-testid="transport"]')?.textContent === 'sse',
    )
    await page.waitForFunction(() =>
      /\d/.test(document.querySelector('[data-testid="price-AAPL"]')?.textContent ?? ''),
    )
    const first = await text(page, 'price-AAPL')
    expect(first).toMatch(/^\$?[\d,]+\.\d\d$/)

    await page.waitForFunction(
      (before) => document.querySelector('[data-testid="price-AAPL"]')?.textContent !== before,
      first,
    )
    expect(await text(page, 'price-AAPL')).not.toBe(first)
    expect(pageErrors).toEqual([])
  })

  it('delivers a ping from the page to the server', async () => {
    await page.getByTestId('ping').click()
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="ping-result"]')?.textContent?.startsWith('Delivered'),
    )
    expect(
      serverLog.some((line) => /message on "prices": \{"type":"ping","at":\d+\}/.test(line)),
    ).toBe(true)
    expect(pageErrors).toEqual([])
  })
})
