import { expect, it } from 'vitest'
import { demoPageSuite, expectMovingPrices } from './browser'

demoPageSuite('the Vue demo in a real browser', 'vue', '/vue/', (context) => {
  it('connects over SSE and shows prices as they move', async () => {
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
})
