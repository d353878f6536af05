import { request as httpRequest } from 'node:http'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeInChromium, launchChromium } from './browser'
import { type NextServer, startNext } from './next-server'

describeInChromium('the Next.js demo in Chromium (next start, route handler at /live)', () => {
  let next: NextServer | undefined
  let browser: Browser | undefined
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    next = await startNext()
    browser = await launchChromium()
    page = await browser.newPage()
    // Fail with Playwright's own message before vitest's timeout cuts the test short.
    page.setDefaultTimeout(20_000)
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text())
    })
    page.on('response', (response) => {
      if (response.status() >= 400) pageErrors.push(`${response.status()} ${response.url()}`)
    })
    await page.goto(next.url)
  })

  afterAll(async () => {
    await browser?.close()
    await next?.close()
  })

  it('shows live prices through useLiveData, over SSE: the transport the route handler offers first', async () => {
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="status"]')?.textContent === 'open' &&
        document.querySelector('[data-testid="transport"]')?.textContent === 'sse',
    )
    const price = page.getByTestId('price-AAPL')
    await price.waitFor()
    const first = await price.textContent()
    expect(first).toMatch(/^\$[\d,]+\.\d\d$/)
    // The ticker publishes every 400 ms: the price moves while the page watches.
    await page.waitForFunction(
      (before) => document.querySelector('[data-testid="price-AAPL"]')?.textContent !== before,
      first,
    )
    expect(pageErrors).toEqual([])
  })

  it('round-trips a send: the note POSTed on notes comes back on echo and is shown', async () => {
    const text = `hello from Chromium ${Date.now()}`
    await page.getByTestId('note').fill(text)
    const posted = page.waitForResponse(
      (response) =>
        response.request().method() === 'POST' &&
        new URL(response.url()).pathname === '/live/notes',
    )
    await page.getByRole('button', { name: 'Send' }).click()
    expect((await posted).status()).toBe(204)
    await page.getByTestId('echoes').getByText(text, { exact: true }).waitFor()
    // Sent: the form was cleared once the server took the note.
    expect(await page.getByTestId('note').inputValue()).toBe('')
    expect(pageErrors).toEqual([])
  })

  it('refuses a request naming a foreign Host (a DNS-rebinding page): 403 ERR_HOST', async () => {
    const url = new URL('/live/prices?transport=polling', next?.url)
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(url, { headers: { host: `evil.example:${url.port}` } }, (r) => {
        r.resume()
        resolve(r.statusCode ?? 0)
      })
      request.on('error', reject)
      request.end()
    })
    expect(status).toBe(403)
  })
})
