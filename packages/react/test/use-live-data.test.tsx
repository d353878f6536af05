import { createLiveClient, type LiveClient } from '@livedata/core'
import { startLiveServer, type TestLiveServer } from '@livedata/test-server'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { type ReactNode, StrictMode, useState } from 'react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LiveDataProvider, type LiveDataResult, type LiveStatus, useLiveData } from '../src/index'

// Node's own fetch streams response bodies; taken before anything can shadow it.
const nodeFetch = globalThis.fetch

interface Quote {
  symbol: string
  price: number
}

let server: TestLiveServer
let client: LiveClient

beforeEach(async () => {
  server = await startLiveServer()
  client = createLiveClient({ url: server.url, fetch: nodeFetch, disconnectDelay: 10 })
})

afterEach(async () => {
  cleanup()
  client.close()
  await server.close()
})

function Price({ onRender }: { onRender?: (result: LiveDataResult<Quote | undefined>) => void }) {
  const result = useLiveData<Quote>('prices')
  onRender?.(result)
  return (
    <p data-testid="price" data-status={result.status} data-transport={result.transport ?? ''}>
      {result.data ? `${result.data.symbol} ${result.data.price}` : 'no price yet'}
    </p>
  )
}

function RendersAgain({
  onRender,
}: {
  onRender: (result: LiveDataResult<Quote | undefined>) => void
}) {
  const [, setCount] = useState(0)
  return (
    <>
      <button type="button" onClick={() => setCount((n) => n + 1)}>
        render again
      </button>
      <Price onRender={onRender} />
    </>
  )
}

function Ping() {
  const { send } = useLiveData('prices')
  return (
    <button type="button" onClick={() => void send({ type: 'ping' })}>
      ping
    </button>
  )
}

function renderWithClient(ui: ReactNode) {
  return render(<LiveDataProvider client={client}>{ui}</LiveDataProvider>)
}

async function waitForOpen(): Promise<void> {
  await waitFor(() => expect(screen.getByTestId('price').dataset.status).toBe('open'))
}

describe('useLiveData', () => {
  it('renders data as it arrives', async () => {
    renderWithClient(<Price />)
    expect(screen.getByTestId('price').textContent).toBe('no price yet')
    await waitForOpen()
    expect(screen.getByTestId('price').dataset.transport).toBe('sse')

    server.live.publish('prices', { symbol: 'AAPL', price: 191.2 })
    await waitFor(() => expect(screen.getByTestId('price').textContent).toBe('AAPL 191.2'))
    server.live.publish('prices', { symbol: 'AAPL', price: 191.5 })
    await waitFor(() => expect(screen.getByTestId('price').textContent).toBe('AAPL 191.5'))
  })

  it('goes from connecting to open, and renders each status', async () => {
    const statuses: LiveStatus[] = []
    renderWithClient(<Price onRender={(result) => statuses.push(result.status)} />)
    await waitForOpen()
    const distinct = statuses.filter((status, i) => status !== statuses[i - 1])
    expect(distinct).toEqual(['connecting', 'open'])
  })

  it('opens one connection under StrictMode, not two', async () => {
    renderWithClient(
      <StrictMode>
        <Price />
      </StrictMode>,
    )
    await waitForOpen()
    server.live.publish('prices', { symbol: 'MSFT', price: 420 })
    await waitFor(() => expect(screen.getByTestId('price').textContent).toBe('MSFT 420'))
    expect(server.streams).toHaveLength(1)
  })

  it('a remount within disconnectDelay reuses the open connection (what StrictMode and route changes do)', async () => {
    client.close()
    client = createLiveClient({ url: server.url, fetch: nodeFetch, disconnectDelay: 60_000 })
    const statuses: LiveStatus[] = []
    const first = renderWithClient(<Price onRender={(result) => statuses.push(result.status)} />)
    await waitForOpen()
    first.unmount()
    renderWithClient(<Price onRender={(result) => statuses.push(result.status)} />)
    expect(screen.getByTestId('price').dataset.status).toBe('open')
    server.live.publish('prices', { symbol: 'NVDA', price: 140 })
    await waitFor(() => expect(screen.getByTestId('price').textContent).toBe('NVDA 140'))
    expect(server.streams).toHaveLength(1)
    expect(statuses.filter((status, i) => status !== statuses[i - 1])).toEqual([
      'connecting',
      'open',
    ])
  })

  it('shares one connection between components on the same channel', async () => {
    renderWithClient(
      <>
        <Price />
        <Price />
      </>,
    )
    await waitFor(() =>
      expect(screen.getAllByTestId('price').map((p) => p.dataset.status)).toEqual(['open', 'open']),
    )
    expect(server.streams).toHaveLength(1)
  })

  it('closes the connection when the last component unmounts', async () => {
    const { unmount } = renderWithClient(<Price />)
    await waitForOpen()
    const stream = await server.stream(0)
    unmount()
    await stream.closed
    expect(client.source('prices').getSnapshot().status).toBe('closed')
  })

  it('keeps the identity of its result while nothing changed', async () => {
    const results: LiveDataResult<Quote | undefined>[] = []
    renderWithClient(<RendersAgain onRender={(result) => results.push(result)} />)
    await waitForOpen()
    const before = results.length
    fireEvent.click(screen.getByText('render again'))
    expect(results.length).toBe(before + 1)
    expect(results.at(-1)).toBe(results.at(-2))
  })

  it('sends to the server through send', async () => {
    const received: Array<{ channel: string; data: unknown }> = []
    const delivered = new Promise<void>((resolve) => {
      server.live.on('message', (channel, data) => {
        received.push({ channel, data })
        resolve()
      })
    })
    renderWithClient(<Ping />)
    fireEvent.click(screen.getByText('ping'))
    await delivered
    expect(received).toEqual([{ channel: 'prices', data: { type: 'ping' } }])
  })

  it('throws a helpful error without a LiveDataProvider', () => {
    // React reports the render error on console.error before rethrowing it.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      expect(() => render(<Price />)).toThrow(/wrap the component tree in <LiveDataProvider/)
    } finally {
      quiet.mockRestore()
    }
  })
})
