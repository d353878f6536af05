import { expect, it } from 'vitest'
import { demoPageSuite, expectMovingPrices } from './browser'

// The same dashboard in each framework, checked the same way in real Chromium.

const APPS = [
  { name: 'React', app: 'react', path: '/' },
  { name: 'Vue', app: 'vue', path: '/vue/' },
  { name: 'Svelte', app: 'svelte', path: '/svelte/' },
] as const

for (const { name, app, path } of APPS) {
  demoPageSuite(`the ${name} demo in a real browser`, app, path, (context) => {
    it('connects and shows prices as they move', async () => {
      const { page, pageErrors } = context()
      await expectMovingPrices(page)
      expect(pageErrors).toEqual([])
    })

    it('shows no cluster panel: it is only under pnpm demo:cluster', async () => {
      const { page } = context()
      await expectMovingPrices(page)
      expect(await page.locator('[data-testid="cluster-panel"]').count()).toBe(0)
    })

    it("the Inspector switch shows the devtools panel with the page's sources, live", async () => {
      const { page, pageErrors } = context()
      await expectMovingPrices(page)
      await page.getByTestId('inspector-toggle').check()
      // Read from the panel's shadow root: the prices source, open, and the timeline under it.
      const prices = page.locator('livedata-devtools tbody tr[data-channel="prices"]')
      await expect
        .poll(() => prices.locator('td').allTextContents())
        .toEqual(expect.arrayContaining(['prices', 'open', 'websocket']))
      await page.waitForFunction(() =>
        [
          ...(document.querySelector('livedata-devtools')?.shadowRoot?.querySelectorAll('ol li') ??
            []),
        ].some((row) =>
          /^cursor lastEventId \S+/.test(row.textContent?.split(' ').slice(2).join(' ') ?? ''),
        ),
      )
      // The demo's production build takes the core's inspectable build: no message in the panel.
      expect(await page.locator('livedata-devtools .message').textContent()).toBe('')
      expect(new URL(page.url()).searchParams.get('inspector')).toBe('1')
      await page.getByTestId('inspector-toggle').uncheck()
      expect(await page.locator('livedata-devtools').count()).toBe(0)
      expect(pageErrors).toEqual([])
    })

    it('a page opened with ?inspector=1 shows the panel, and it follows the client the transport picker makes', async () => {
      const { page, demo, pageErrors } = context()
      await page.goto(new URL(`${path}?inspector=1`, demo.url).href)
      await expect.poll(() => page.getByTestId('inspector-toggle').isChecked()).toBe(true)
      const prices = page.locator('livedata-devtools tbody tr[data-channel="prices"]')
      await expect
        .poll(() => prices.locator('td').allTextContents())
        .toEqual(expect.arrayContaining(['prices', 'open', 'websocket']))
      // A new transport is a new client: the one panel shows it, and the switch stays on.
      await page.getByTestId('transport-picker').selectOption('sse')
      await expect
        .poll(() => prices.locator('td').allTextContents())
        .toEqual(expect.arrayContaining(['prices', 'open', 'sse']))
      expect(await page.locator('livedata-devtools').count()).toBe(1)
      const query = new URL(page.url()).searchParams
      expect([query.get('inspector'), query.get('transport')]).toEqual(['1', 'sse'])
      expect(pageErrors).toEqual([])
      // The page is the suite's: back to the plain demo for the tests after this one.
      await page.goto(new URL(path, demo.url).href)
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

    it('a page opened on the iframe transport finishes loading, and prices move', async () => {
      const { page, demo, pageErrors } = context()
      // goto waits for the page's load event, which a frame added too early would hold forever.
      await page.goto(new URL(`${path}?transport=iframe`, demo.url).href)
      await expectMovingPrices(page, 'iframe')
      expect(pageErrors).toEqual([])
    })

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

    // Only the Vue and Svelte pages carry the row of links to the other demos.
    if (app !== 'react') {
      it('links to the same demo in the other frameworks', async () => {
        const { page } = context()
        const links = page.getByRole('navigation').getByRole('link')
        expect(
          await links.evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href'))),
        ).toEqual(['/', '/vue/', '/svelte/'])
        expect(await page.getByRole('link', { name }).getAttribute('aria-current')).toBe('page')
      })
    }
  })
}
