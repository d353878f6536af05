import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { describeInChromium, launchChromium } from './browser'
import { type CuttingProxy, startCuttingProxy } from './cutting-proxy'
import { type NextServer, startNext } from './next-server'

// How long the "platform" lets an SSE response run (a serverless maxDuration, shortened).
const LIMIT = 2_000

describeInChromium(
  'the Next.js demo behind a platform time limit (every SSE response ended after 2 s)',
  () => {
    let next: NextServer | undefined
    let proxy: CuttingProxy | undefined
    let browser: Browser | undefined
    let page: Page
    const pageErrors: string[] = []

    beforeAll(async () => {
      next = await startNext()
      proxy = await startCuttingProxy(next.url, LIMIT)
      browser = await launchChromium()
      page = await browser.newPage()
      page.setDefaultTimeout(20_000)
      page.on('pageerror', (error) => pageErrors.push(error.message))
      await page.goto(proxy.url)
    })

    afterAll(async () => {
      await browser?.close()
      await proxy?.close()
      await next?.close()
    })

    it('reconnects after each cut and resumes from the last id it got, staying on SSE', async () => {
      const cutting = proxy as CuttingProxy
      await vi.waitFor(
        () => {
          expect(cutting.cuts.length).toBeGreaterThanOrEqual(3)
          // …and the client came back for prices after the last of them.
          const lastCut = cutting.streams.indexOf(cutting.cuts.at(-1)?.url ?? '')
          expect(cutting.streams.slice(lastCut + 1).join(' ')).toContain('c=prices!')
        },
        { timeout: 25_000, interval: 100 },
      )
      for (const cut of cutting.cuts) {
        const last = cut.lastIds.get('prices')
        expect(last, `${cut.url} carried prices`).toMatch(/^\d+-\d+$/)
        // The first request for prices after the cut asks for what came after the last id
        // delivered (the client may reopen its channels one request at a time, then as one).
        const after = cutting.streams.slice(cutting.streams.indexOf(cut.url) + 1)
        const resumed = after.find((path) => channelsOf(path).some((c) => /^prices(!|$)/.test(c)))
        expect(resumed && cursorOf(resumed, 'prices'), after.join(' ')).toBe(last)
      }
      // Still live, over the same transport, after the cuts.
      await page.waitForFunction(
        () =>
          document.querySelector('[data-testid="status"]')?.textContent === 'open' &&
          document.querySelector('[data-testid="transport"]')?.textContent === 'sse',
      )
      const before = await page.getByTestId('price-AAPL').textContent()
      await page.waitForFunction(
        (shown) => document.querySelector('[data-testid="price-AAPL"]')?.textContent !== shown,
        before,
      )
      expect(pageErrors).toEqual([])
    }, 30_000)
  },
)

/** The `c=` entries of a multiplexed request: `<channel>` or `<channel>!<id>`. */
function channelsOf(path: string): string[] {
  return new URL(path, 'http://proxy.invalid').searchParams.getAll('c')
}

/** The cursor a multiplexed request (`c=<channel>!<id>`) gives for `channel`, if any. */
function cursorOf(path: string, channel: string): string | undefined {
  return channelsOf(path)
    .find((c) => c.startsWith(`${channel}!`))
    ?.slice(channel.length + 1)
}
