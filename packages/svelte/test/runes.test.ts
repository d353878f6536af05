import { fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import { describe, expect } from 'vitest'
import { type LiveStatus, liveData } from '../src/runes'
import { it, price, waitForOpen } from './live-setup'
import type { Quote } from './quote'
import RunesPrice from './RunesPrice.svelte'
import RunesToggle from './RunesToggle.svelte'

describe('liveData from @livedata/svelte/runes in a runes component', () => {
  it('shows data as it arrives from the server', async ({ server, client }) => {
    render(RunesPrice, { client })
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
    render(RunesPrice, { client, onStatus: (status: LiveStatus) => statuses.push(status) })
    await waitForOpen()

    ;(await server.stream(0)).drop()
    await server.stream(1)
    await waitFor(() => expect(statuses.at(-1)).toBe('open'))
    expect(statuses).toEqual(['connecting', 'open', 'reconnecting', 'open'])
  })

  it('re-runs an effect reading status only when status changes, not when data arrives', async ({
    server,
    client,
  }) => {
    const statuses: LiveStatus[] = []
    render(RunesPrice, { client, onStatus: (status: LiveStatus) => statuses.push(status) })
    await waitForOpen()
    expect(statuses).toEqual(['connecting', 'open'])

    server.live.publish('prices', { symbol: 'AAPL', price: 191.2 })
    await waitFor(() => expect(price().textContent?.trim()).toBe('AAPL 191.2'))
    server.live.publish('prices', { symbol: 'AAPL', price: 191.5 })
    await waitFor(() => expect(price().textContent?.trim()).toBe('AAPL 191.5'))
    // The template re-rendered the data twice; the effect reading `status` did not re-run.
    expect(statuses).toEqual(['connecting', 'open'])
  })

  it('subscribes once and lets go when the component is destroyed', async ({ server, client }) => {
    const { unmount } = render(RunesPrice, { client })
    await waitForOpen()
    server.live.publish('prices', { symbol: 'MSFT', price: 420 })
    await waitFor(() => expect(price().textContent?.trim()).toBe('MSFT 420'))
    // data, status and transport are read, by the template and an effect: one subscription.
    expect(server.streams).toHaveLength(1)

    unmount()
    await server.streams[0]!.closed
    expect(client.source('prices').getSnapshot().status).toBe('closed')
    expect(server.streams).toHaveLength(1)
  })

  it('lets go when nothing reads it any more, while the component stays', async ({
    server,
    client,
  }) => {
    const prices = liveData<Quote>('prices', undefined, client)
    const { rerender } = render(RunesToggle, { prices, shown: true })
    await waitForOpen()
    const stream = await server.stream(0)

    await rerender({ prices, shown: false })
    await stream.closed
    expect(prices.status).toBe('closed')
  })

  it('connects nothing when read outside an effect, and leaves no subscription behind', async ({
    server,
    client,
  }) => {
    const prices = liveData<Quote>('prices', undefined, client)
    // Read outside any effect, as an event handler or a plain function would.
    expect([prices.status, prices.data, prices.error, prices.transport]).toEqual([
      'connecting',
      undefined,
      null,
      null,
    ])
    expect(Object.keys(prices).sort()).toEqual([
      'attempt',
      'data',
      'error',
      'gap',
      'lastEventId',
      'send',
      'status',
      'tab',
      'transport',
    ])

    // An effect reads it, then stops: the connection must end. A subscription left by the reads
    // above would keep the source, hence this stream, open.
    const { rerender } = render(RunesToggle, { prices, shown: true })
    await waitForOpen()
    await rerender({ prices, shown: false })
    await (await server.stream(0)).closed
    expect(prices.status).toBe('closed')
    expect(server.streams).toHaveLength(1)
  })

  it('sends to the server through send', async ({ server, client }) => {
    const delivered = new Promise<{ channel: string; data: unknown }>((resolve) => {
      server.live.on('message', (channel, data) => resolve({ channel, data }))
    })
    render(RunesPrice, { client })
    await fireEvent.click(screen.getByText('ping'))
    expect(await delivered).toEqual({ channel: 'prices', data: { type: 'ping' } })
  })

  it('throws a helpful error when no parent called setLiveClient and no client is passed', () => {
    expect(() => liveData('prices')).toThrow(
      'getLiveClient() and liveData() need a client: call setLiveClient(createLiveClient({ url })) in a parent component',
    )
  })
})
