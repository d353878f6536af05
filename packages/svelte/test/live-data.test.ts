import { fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import { describe, expect } from 'vitest'
import type { LiveStatus } from '../src/index'
import Dashboard from './Dashboard.svelte'
import Legacy from './Legacy.svelte'
import { it, price, waitForOpen } from './live-setup'
import Price from './Price.svelte'

describe('liveData in a component', () => {
  it('renders data as it arrives', async ({ server, client }) => {
    render(Dashboard, { client })
    expect(price().textContent?.trim()).toBe('no price yet')
    await waitForOpen()
    expect(price().dataset.transport).toBe('sse')

    server.live.publish('prices', { symbol: 'AAPL', price: 191.2 })
    await waitFor(() => expect(price().textContent?.trim()).toBe('AAPL 191.2'))
    server.live.publish('prices', { symbol: 'AAPL', price: 191.5 })
    await waitFor(() => expect(price().textContent?.trim()).toBe('AAPL 191.5'))
  })

  it('goes connecting, open, reconnecting, open when the server drops the connection', async ({
    server,
    client,
  }) => {
    const statuses: LiveStatus[] = []
    render(Dashboard, { client, onStatus: (status: LiveStatus) => statuses.push(status) })
    await waitForOpen()

    const first = await server.stream(0)
    first.drop()
    await server.stream(1)
    await waitFor(() => expect(statuses.at(-1)).toBe('open'))
    expect(statuses.at(-2)).toBe('reconnecting')

    const distinct = statuses.filter((status, i) => status !== statuses[i - 1])
    expect(distinct).toEqual(['connecting', 'open', 'reconnecting', 'open'])
  })

  it('resumes from the last message after a dropped connection', async ({ server, client }) => {
    render(Dashboard, { client })
    await waitForOpen()
    server.live.publish('prices', { symbol: 'AAPL', price: 191.2 })
    await waitFor(() => expect(price().textContent?.trim()).toBe('AAPL 191.2'))

    ;(await server.stream(0)).drop()
    // Published while the client is away: the server's history replays it on resume.
    server.live.publish('prices', { symbol: 'AAPL', price: 192 })
    const second = await server.stream(1)
    expect(second.url).toMatch(/[?&]c=prices!/)
    await waitFor(() => expect(price().textContent?.trim()).toBe('AAPL 192'))
  })

  it('sends to the server through send', async ({ server, client }) => {
    const received: Array<{ channel: string; data: unknown }> = []
    const delivered = new Promise<void>((resolve) => {
      server.live.on('message', (channel, data) => {
        received.push({ channel, data })
        resolve()
      })
    })
    render(Dashboard, { client, prices: 0, ping: true })
    await fireEvent.click(screen.getByText('ping'))
    await delivered
    expect(received).toEqual([{ channel: 'prices', data: { type: 'ping' } }])
  })

  it('closes the connection when the last component unmounts', async ({ server, client }) => {
    const { unmount } = render(Dashboard, { client })
    await waitForOpen()
    const stream = await server.stream(0)
    unmount()
    await stream.closed
    expect(client.source('prices').getSnapshot().status).toBe('closed')
  })

  it('shares one connection between components on the same channel', async ({ server, client }) => {
    render(Dashboard, { client, prices: 2 })
    await waitFor(() =>
      expect(screen.getAllByTestId('price').map((p) => p.dataset.status)).toEqual(['open', 'open']),
    )
    server.live.publish('prices', { symbol: 'MSFT', price: 420 })
    await waitFor(() =>
      expect(screen.getAllByTestId('price').map((p) => p.textContent?.trim())).toEqual([
        'MSFT 420',
        'MSFT 420',
      ]),
    )
    expect(server.streams).toHaveLength(1)
  })

  it('works in a component written in Svelte 4 syntax', async ({ server, client }) => {
    render(Legacy, { client })
    await waitForOpen()
    server.live.publish('prices', { symbol: 'NVDA', price: 138.9 })
    await waitFor(() => expect(price().textContent?.trim()).toBe('NVDA 138.9'))
  })

  it('throws a helpful error when no parent called setLiveClient', () => {
    expect(() => render(Price)).toThrow(
      'getLiveClient() and liveData() need a client: call setLiveClient(createLiveClient({ url })) in a parent component',
    )
  })
})
