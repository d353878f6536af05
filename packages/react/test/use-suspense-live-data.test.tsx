import { createLiveClient, type LiveClient } from '@livedata/core'
import { type JudgedServer, startJudgedServer } from '@livedata/test-server'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import {
  type ReactNode,
  StrictMode,
  Suspense,
  startTransition,
  useLayoutEffect,
  useState,
} from 'react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { firstData } from '../src/first-data'
import { LiveDataProvider, useSuspenseLiveData } from '../src/index'
import { ErrorBoundary, waitForOpen } from './suspense-helpers'

// Node's own fetch streams response bodies; taken before anything can shadow it.
const nodeFetch = globalThis.fetch

interface Quote {
  symbol: string
  price: number
}

let server: JudgedServer
let client: LiveClient

async function start(): Promise<void> {
  server = await startJudgedServer()
  // SSE only: one stream per client, so the server's requests count the connections. The wait
  // hands over to the component within disconnectDelay; 300 ms leaves a loaded machine room.
  client = createLiveClient({
    url: server.url,
    fetch: nodeFetch,
    transports: ['sse'],
    disconnectDelay: 300,
    reconnect: { minDelay: 20, maxDelay: 50 },
  })
}

afterEach(async () => {
  cleanup()
  client.close()
  await server.close()
})

function Price({ channel = 'prices' }: { channel?: string }) {
  const { data, status } = useSuspenseLiveData<Quote>(channel)
  // `data` is a Quote here: reading it while undefined would throw a TypeError.
  return (
    <p data-testid="price" data-status={status}>
      {channel}: {data.symbol} {data.price}
    </p>
  )
}

function WithInitial() {
  const { data } = useSuspenseLiveData<Quote>('prices', {
    initialData: { symbol: 'AAPL', price: 0 },
  })
  return <p data-testid="price">{data.price}</p>
}

function Switcher() {
  const [channel, setChannel] = useState('prices')
  return (
    <>
      <button type="button" onClick={() => startTransition(() => setChannel('rates'))}>
        switch
      </button>
      <Price channel={channel} />
    </>
  )
}

// How many times a fallback reached the screen (a suspended transition may render one unseen).
let fallbacks = 0
function Fallback() {
  useLayoutEffect(() => {
    fallbacks++
  }, [])
  return <p data-testid="fallback">loading</p>
}

// A reduce that clears the data, as a gap that resets it to no initialData does.
function Clearable() {
  const { data } = useSuspenseLiveData<number, number | null>('count', {
    reduce: (_previous, next) => (next === null ? undefined : next),
  })
  return <p data-testid="count">{data}</p>
}

function withClient(ui: ReactNode) {
  return (
    <LiveDataProvider client={client}>
      <ErrorBoundary>
        <Suspense fallback={<p data-testid="fallback">loading</p>}>{ui}</Suspense>
      </ErrorBoundary>
    </LiveDataProvider>
  )
}

const text = (id: string) => screen.getByTestId(id).textContent

describe('useSuspenseLiveData', () => {
  it('shows the fallback, then the data once it arrives', async () => {
    await start()
    render(withClient(<Price />))
    expect(text('fallback')).toBe('loading')
    await waitForOpen(client, 'prices')
    expect(screen.queryByTestId('price')).toBeNull()

    server.live.publish('prices', { symbol: 'AAPL', price: 191.2 })
    await waitFor(() => expect(text('price')).toBe('prices: AAPL 191.2'))
    expect(screen.queryByTestId('fallback')).toBeNull()
    server.live.publish('prices', { symbol: 'AAPL', price: 191.5 })
    await waitFor(() => expect(text('price')).toBe('prices: AAPL 191.5'))
  })

  it('renders at once with initialData: it counts as data', async () => {
    await start()
    render(withClient(<WithInitial />))
    expect(text('price')).toBe('0')
    await waitForOpen(client, 'prices')
    server.live.publish('prices', { symbol: 'AAPL', price: 1 })
    await waitFor(() => expect(text('price')).toBe('1'))
  })

  it('throws a refused channel to the nearest error boundary', async () => {
    await start()
    server.verdicts.set('secret', false)
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      render(withClient(<Price channel="secret" />))
      expect(text('fallback')).toBe('loading')
      await waitFor(() => expect(text('caught')).toBe('ERR_HTTP_STATUS ERR_FORBIDDEN'))
    } finally {
      quiet.mockRestore()
    }
    expect(client.source('secret').getSnapshot().status).toBe('closed')
  })

  it('keeps the fallback through a passing error, and renders the data once it heals', async () => {
    await start()
    server.verdicts.set('prices', 'fail')
    const { rerender } = render(withClient(<Price />))
    // authorize failed (503 ERR_AUTHORIZE): passing, so the source reconnects and keeps waiting.
    await waitFor(() =>
      expect(client.source('prices').getSnapshot().error?.serverCode).toBe('ERR_AUTHORIZE'),
    )
    expect(client.source('prices').getSnapshot().status).toBe('reconnecting')
    // A render while the error stands (a parent rendering again) waits too.
    rerender(withClient(<Price />))
    expect(text('fallback')).toBe('loading')
    expect(screen.queryByTestId('caught')).toBeNull()

    server.verdicts.set('prices', true)
    await waitForOpen(client, 'prices')
    server.live.publish('prices', { symbol: 'MSFT', price: 420 })
    await waitFor(() => expect(text('price')).toBe('prices: MSFT 420'))
  })

  it('waits for data again after client.reconnect() and a reset of the error boundary', async () => {
    await start()
    server.verdicts.set('orders', false)
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      render(
        <LiveDataProvider client={client}>
          <ErrorBoundary
            onRetry={() => {
              // The user logged in: the server allows it now, and the client connects afresh.
              server.verdicts.set('orders', true)
              client.reconnect()
            }}
          >
            <Suspense fallback={<p data-testid="fallback">loading</p>}>
              <Price channel="orders" />
            </Suspense>
          </ErrorBoundary>
        </LiveDataProvider>,
      )
      await waitFor(() => expect(text('caught')).toBe('ERR_HTTP_STATUS ERR_FORBIDDEN'))
      fireEvent.click(screen.getByTestId('caught'))
      expect(text('fallback')).toBe('loading')
      await waitForOpen(client, 'orders')
    } finally {
      quiet.mockRestore()
    }
    server.live.publish('orders', { symbol: 'TSLA', price: 250 })
    await waitFor(() => expect(text('price')).toBe('orders: TSLA 250'))
  })

  it('throws ERR_CLOSED for a closed client rather than waiting forever', async () => {
    await start()
    client.close()
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      render(withClient(<Price />))
      await waitFor(() => expect(text('caught')).toBe('ERR_CLOSED'))
    } finally {
      quiet.mockRestore()
    }
  })

  it('under StrictMode server.subscribes once on the server, and lets go after the unmount', async () => {
    await start()
    const { unmount } = render(<StrictMode>{withClient(<Price />)}</StrictMode>)
    expect(text('fallback')).toBe('loading')
    await waitForOpen(client, 'prices')
    server.live.publish('prices', { symbol: 'NVDA', price: 140 })
    await waitFor(() => expect(text('price')).toBe('prices: NVDA 140'))
    server.live.publish('prices', { symbol: 'NVDA', price: 141 })
    await waitFor(() => expect(text('price')).toBe('prices: NVDA 141'))

    expect(server.subscribes).toEqual(['prices'])
    expect(server.streams).toHaveLength(1)
    expect(server.live.stats().connections).toBe(1)
    // Nothing else holds the source: the wait let go once the component subscribed.
    const stream = await server.stream(0)
    unmount()
    await stream.closed
    expect(client.source('prices').getSnapshot().status).toBe('closed')
  })

  it('keeps the old channel on screen while a channel changed in a transition waits', async () => {
    await start()
    fallbacks = 0
    render(
      <LiveDataProvider client={client}>
        <Suspense fallback={<Fallback />}>
          <Switcher />
        </Suspense>
      </LiveDataProvider>,
    )
    await waitForOpen(client, 'prices')
    server.live.publish('prices', { symbol: 'AAPL', price: 1 })
    await waitFor(() => expect(text('price')).toBe('prices: AAPL 1'))
    expect(fallbacks).toBe(1)

    fireEvent.click(screen.getByText('switch'))
    await waitForOpen(client, 'rates')
    // The old channel stays on screen, live, and the fallback never comes back.
    server.live.publish('prices', { symbol: 'AAPL', price: 2 })
    await waitFor(() => expect(text('price')).toBe('prices: AAPL 2'))
    expect(screen.queryByTestId('fallback')).toBeNull()

    server.live.publish('rates', { symbol: 'EUR', price: 1.1 })
    await waitFor(() => expect(text('price')).toBe('rates: EUR 1.1'))
    expect(fallbacks).toBe(1)
  })

  it('never suspends again after the first data: data gone back to undefined keeps the last', async () => {
    await start()
    render(withClient(<Clearable />))
    await waitForOpen(client, 'count')
    server.live.publish('count', 1)
    await waitFor(() => expect(text('count')).toBe('1'))
    server.live.publish('count', null)
    await waitFor(() => expect(client.source('count').getSnapshot().data).toBeUndefined())
    expect(text('count')).toBe('1')
    expect(screen.queryByTestId('fallback')).toBeNull()
    server.live.publish('count', 2)
    await waitFor(() => expect(text('count')).toBe('2'))
  })
})

describe('firstData', () => {
  it('gives the same promise to every render while waiting, a new one once settled', async () => {
    await start()
    const source = client.source<Quote>('prices')
    const first = firstData(source)
    expect(firstData(source)).toBe(first)
    await waitForOpen(client, 'prices')
    expect(firstData(source)).toBe(first)
    server.live.publish('prices', { symbol: 'AAPL', price: 1 })
    await first
    expect(source.getSnapshot().data).toEqual({ symbol: 'AAPL', price: 1 })
    expect(firstData(source)).not.toBe(first)
  })
})
