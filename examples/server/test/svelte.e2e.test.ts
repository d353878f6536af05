import { expect, it } from 'vitest'
import { demoPageSuite, expectMovingPrices } from './browser'

demoPageSuite('the Svelte demo in a real browser', 'svelte', '/svelte/', (context) => {
  it('connects and shows prices as they move', async () => {
    const { page, pageErrors } = context()
    await expectMovingPrices(page)
    expect(pageErrors).toEqual([])
  })

  it('delivers a ping from the page to the server', async () => {
    const { page, serverLog, pageErrors } = context()
    await page.getByTestId('ping').click()
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="ping-result"]')?.textContent?.startsWith('Delivered'),
    )
    expect(
      serverLog.some((line) => /message on "prices": \{"type":"ping","at":\d+\}/.test(line)),
    ).toBe(true)
    expect(pageErrors).toEqual([])
  })

  it('links to the same demo in the other frameworks', async () => {
    const { page } = context()
    const links = page.getByRole('navigation').getByRole('link')
    expect(
      await links.evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href'))),
    ).toEqual(['/', '/vue/', '/svelte/'])
    expect(await page.getByRole('link', { name: 'Svelte' }).getAttribute('aria-current')).toBe(
      'page',
    )
  })
})
