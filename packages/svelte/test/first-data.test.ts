import { createLiveClient, type LiveClient } from '@livedata/core'
import { type JudgedServer, startJudgedServer } from '@livedata/test-server'
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import { firstData, liveData } from '../src/index'
import Awaited from './Awaited.svelte'
import AwaitedLegacy from './AwaitedLegacy.svelte'
import type { Quote } from './quote'

// Node's own fetch streams response bodies; taken before anything can shadow it.
const nodeFetch = globalThis.fetch

let server: JudgedServer
let client: LiveClient

async function start(): Promise<void> {
  server = await startJudgedServer()
  // SSE only: one stream per client, so the server's requests count the connections. The wait
  // hands over to the component's `$store` within disconnectDelay; 300 ms leaves a loaded
  // machine room.
  client = createLiveClient({
    url: server.url,
    fetch: nodeFetch,
    transports: ['sse'],
    disconnectDelay: 300,
    reconnect: { minDelay: 20, maxDelay: 50 },
  })
}

afterEach(async () => {
  // @testing-library/svelte unmounts what it rendered after each test.
  client.close()
  await server.close()
})

const text = (id: string) => screen.getByTestId(id).textContent?.replace(/\s+/g, ' ').trim()

async function waitForOpen(channel: string): Promise<void> {
  await waitFor(() => expect(client.source(channel).getSnapshot().status).toBe('open'))
}

describe('firstData in {#await}', () => {
  it('shows the pending block, then the data once it arrives, then live updates', async () => {
    await start()
    render(Awaited, { client })
    expect(text('fallback')).toBe('loading')
    await waitForOpen('prices')
    expect(screen.queryByTestId('price')).toBeNull()

    server.live.publish('prices', { symbol: 'AAPL', price: 191.2 })
    await waitFor(() => expect(text('price')).toBe('prices: AAPL 191.2'))
    // It resolves with the first data; the store carries on.
    expect(screen.getByTestId('price').dataset.first).toBe('AAPL 191.2')
    expect(screen.queryByTestId('fallback')).toBeNull()
    server.live.publish('prices', { symbol: 'AAPL', price: 191.5 })
    await waitFor(() => expect(text('price')).toBe('prices: AAPL 191.5'))
  })

  it('resolves at once with initialData: it counts as data', async () => {
    await start()
    render(Awaited, { client, options: { initialData: { symbol: 'AAPL', price: 0 } } })
    // Nothing is ever published: only initialData can have resolved it.
    await waitFor(() => expect(text('price')).toBe('prices: AAPL 0'))
  })

  it('rejects with a refused channel, which {:catch} shows', async () => {
    await start()
    server.verdicts.set('secret', false)
    render(Awaited, { client, channel: 'secret' })
    expect(text('fallback')).toBe('loading')
    await waitFor(() => expect(text('caught')).toBe('ERR_HTTP_STATUS ERR_FORBIDDEN'))
    expect(client.source('secret').getSnapshot().status).toBe('closed')
  })

  it('keeps waiting through a passing error, and resolves once it heals', async () => {
    await start()
    server.verdicts.set('prices', 'fail')
    render(Awaited, { client })
    // authorize failed (503 ERR_AUTHORIZE): passing, so the source reconnects and keeps waiting.
    await waitFor(() =>
      expect(client.source('prices').getSnapshot().error?.serverCode).toBe('ERR_AUTHORIZE'),
    )
    expect(client.source('prices').getSnapshot().status).toBe('reconnecting')
    await waitFor(() => expect(server.subscribes.length).toBeGreaterThanOrEqual(2))
    expect(text('fallback')).toBe('loading')
    expect(screen.queryByTestId('caught')).toBeNull()

    server.verdicts.set('prices', true)
    await waitForOpen('prices')
    server.live.publish('prices', { symbol: 'MSFT', price: 420 })
    await waitFor(() => expect(text('price')).toBe('prices: MSFT 420'))
  })

  it('waits for data again with a new firstData after client.reconnect()', async () => {
    await start()
    server.verdicts.set('orders', false)
    render(Awaited, {
      client,
      channel: 'orders',
      onRetry: () => {
        // The user logged in: the server allows it now, and the client connects afresh.
        server.verdicts.set('orders', true)
        client.reconnect()
      },
    })
    await waitFor(() => expect(text('caught')).toBe('ERR_HTTP_STATUS ERR_FORBIDDEN'))
    await fireEvent.click(screen.getByTestId('caught'))
    await waitFor(() => expect(text('fallback')).toBe('loading'))
    await waitForOpen('orders')
    server.live.publish('orders', { symbol: 'TSLA', price: 250 })
    await waitFor(() => expect(text('price')).toBe('orders: TSLA 250'))
  })

  it('rejects with ERR_CLOSED for a closed client rather than waiting forever', async () => {
    await start()
    client.close()
    render(Awaited, { client })
    await waitFor(() => expect(text('caught')).toBe('ERR_CLOSED'))
  })

  it('rejects with ERR_CLOSED when the client closes while it waits', async () => {
    await start()
    const waiting = firstData(liveData<Quote>('prices', undefined, client))
    await waitForOpen('prices')
    client.close()
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_CLOSED' })
  })

  it('hands over to $store: one stream, and the unmount lets it go', async () => {
    await start()
    const { unmount } = render(Awaited, { client })
    await waitForOpen('prices')
    server.live.publish('prices', { symbol: 'NVDA', price: 140 })
    await waitFor(() => expect(text('price')).toBe('prices: NVDA 140'))
    server.live.publish('prices', { symbol: 'NVDA', price: 141 })
    await waitFor(() => expect(text('price')).toBe('prices: NVDA 141'))
    expect(server.subscribes).toEqual(['prices'])
    expect(server.streams).toHaveLength(1)

    // Nothing but the component holds the source: the wait let go once it resolved.
    const stream = await server.stream(0)
    unmount()
    await stream.closed
    expect(client.source('prices').getSnapshot().status).toBe('closed')
  })

  it('works in a component written in Svelte 4 syntax', async () => {
    await start()
    render(AwaitedLegacy, { client })
    expect(text('fallback')).toBe('loading')
    await waitForOpen('prices')
    server.live.publish('prices', { symbol: 'AMD', price: 120 })
    await waitFor(() => expect(text('price')).toBe('AMD 120'))
  })
})
