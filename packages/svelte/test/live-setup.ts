import { createLiveClient, type LiveClient } from '@livedata/core'
import { startLiveServer, type TestLiveServer } from '@livedata/test-server'
import { screen, waitFor } from '@testing-library/svelte'
import { test as base, expect } from 'vitest'

// Node's own fetch streams response bodies; taken before anything can shadow it.
const nodeFetch = globalThis.fetch

/**
 * `it` with a live server on loopback and a client of it, for the component tests: a test that
 * names `server` or `client` gets them, started before it and closed after it.
 *
 * @example
 * ```ts
 * it('renders data as it arrives', async ({ server, client }) => {
 *   render(Dashboard, { client })
 *   server.live.publish('prices', { symbol: 'AAPL', price: 191.2 })
 * })
 * ```
 */
export const it = base.extend<{ server: TestLiveServer; client: LiveClient }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads what a fixture needs from this pattern
  server: async ({}, use) => {
    // A short retry hint, so a dropped connection comes back within milliseconds.
    const server = await startLiveServer({ retry: 10 })
    await use(server)
    await server.close()
  },
  client: async ({ server }, use) => {
    const client = createLiveClient({
      url: server.url,
      // These tests count and cut the SSE requests the server sees.
      transports: ['sse'],
      fetch: nodeFetch,
      disconnectDelay: 10,
      reconnect: { minDelay: 10 },
    })
    // @testing-library/svelte unmounts what it rendered after each test.
    await use(client)
    client.close()
  },
})

/** The rendered price element (`data-testid="price"`). */
export const price = (): HTMLElement => screen.getByTestId('price')

/** Waits until the rendered price shows the channel open. */
export async function waitForOpen(): Promise<void> {
  await waitFor(() => expect(price().dataset.status).toBe('open'))
}
