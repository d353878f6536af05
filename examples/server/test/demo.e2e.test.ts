import { expect, it } from 'vitest'
import { demoPageSuite, expectMovingPrices } from './browser'

demoPageSuite('the React demo in a real browser', 'react', '/', (context) => {
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

  it('falls back to SSE when WebSocket is blocked, and comes back when it is not', async () => {
    const { page, pageErrors } = context()
    await expectMovingPrices(page, 'websocket')
    await page.getByTestId('block-websocket').check()
    await expectMovingPrices(page, 'sse')
    expect(new URL(page.url()).searchParams.get('block')).toBe('websocket')
    await page.getByTestId('block-websocket').uncheck()
    await expectMovingPrices(page, 'websocket')
    expect(pageErrors).toEqual([])
  })

  it.each(['sse', 'long-polling', 'polling', 'iframe', 'websocket'])(
    'the picker switches to %s',
    async (transport) => {
      const { page, pageErrors } = context()
      await page.getByTestId('transport-picker').selectOption(transport)
      await expectMovingPrices(page, transport)
      expect(pageErrors).toEqual([])
    },
  )

  it('the picker switches to socket.io: prices from the socket.io server, pings acknowledged', async () => {
    const { page, serverLog, pageErrors } = context()
    await page.getByTestId('transport-picker').selectOption('socket.io')
    await expectMovingPrices(page, 'socket.io')
    expect(new URL(page.url()).searchParams.get('transport')).toBe('socket.io')

    const before = serverLog.length
    await page.getByTestId('ping').click()
    await expect
      .poll(() =>
        serverLog
          .slice(before)
          .some((line) => /socket\.io ping: \{"type":"ping","at":\d+\}/.test(line)),
      )
      .toBe(true)
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="ping-result"]')?.textContent?.startsWith('Delivered'),
    )
    expect(pageErrors).toEqual([])
  })
})
