import { Writable } from 'node:stream'
import { createLiveClient, type LiveClient } from '@livedata/core'
import { startLiveServer, type TestLiveServer } from '@livedata/test-server'
import { act, waitFor } from '@testing-library/react'
import type { ReactNode } from 'react'
import { hydrateRoot, type Root } from 'react-dom/client'
import { renderToPipeableStream } from 'react-dom/server'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as browserSide from './ssr-app'
import { waitForOpen } from './suspense-helpers'

// Node's own fetch streams response bodies; taken before anything can shadow it.
const nodeFetch = globalThis.fetch

let server: TestLiveServer
let browser: LiveClient
let root: Root | undefined
let container: HTMLElement

beforeEach(async () => {
  server = await startLiveServer()
  browser = createLiveClient({ url: server.url, fetch: nodeFetch, transports: ['sse'] })
  container = document.createElement('div')
  document.body.append(container)
})

afterEach(async () => {
  act(() => root?.unmount())
  root = undefined
  container.remove()
  browser.close()
  await server.close()
})

/** The page as the server renders it: its own instance of the page's modules. */
async function serverSide(): Promise<typeof browserSide> {
  vi.resetModules()
  return import('./ssr-app')
}

/** Streams `ui` as a server would (renderToPipeableStream); resolves with the HTML once it ended. */
function streamToString(ui: ReactNode): Promise<{ html: string; errors: unknown[] }> {
  const errors: unknown[] = []
  return new Promise((resolve, reject) => {
    let html = ''
    const sink = new Writable({
      write(chunk, _encoding, done) {
        html += String(chunk)
        done()
      },
    })
    sink.on('finish', () => resolve({ html, errors }))
    const { pipe } = renderToPipeableStream(ui, {
      onShellReady: () => pipe(sink),
      onShellError: reject,
      onError: (error) => void errors.push(error),
    })
  })
}

/** A client as a server render has it: any request it tried would be counted, and fail. */
function serverClient(): { client: LiveClient; fetches: () => number } {
  let count = 0
  const client = createLiveClient({
    url: server.url,
    fetch: async () => {
      count++
      throw new Error('no request may leave a server render')
    },
  })
  return { client, fetches: () => count }
}

/** Hydrates the container with `ui`, recording what React reports: recoverable errors, console.error. */
async function hydrate(ui: ReactNode) {
  const recoverable: unknown[] = []
  const logged = vi.spyOn(console, 'error')
  await act(async () => {
    root = hydrateRoot(container, ui, { onRecoverableError: (error) => recoverable.push(error) })
  })
  return { recoverable, logged }
}

describe('useSuspenseLiveData and streaming server rendering', () => {
  it('streams initialData, hydrates from it without a mismatch although the browser has newer data, then renders that', async () => {
    const page = await serverSide()
    const rendering = serverClient()
    const { html, errors } = await streamToString(
      <page.App client={rendering.client}>
        <page.WithInitial />
      </page.App>,
    )
    rendering.client.close()
    expect(errors).toEqual([])
    expect(rendering.fetches()).toBe(0)
    expect(html).toContain('<p id="price">AAPL<!-- --> <!-- -->0</p>')
    expect(html).not.toContain('loading')

    // The browser's source is live before hydration (another part of the page uses it):
    // hydrating from its data instead of the server's snapshot would not match the HTML.
    const { App, WithInitial, initialData } = browserSide
    const stop = browser.source('prices', { initialData }).subscribe(() => {})
    await waitForOpen(browser, 'prices')
    server.live.publish('prices', { symbol: 'AAPL', price: 191.2 })
    await waitFor(() => expect(browser.source('prices').getSnapshot().data).not.toBe(initialData))

    container.innerHTML = html
    const serverNode = container.querySelector('#price')
    const { recoverable, logged } = await hydrate(
      <App client={browser}>
        <WithInitial />
      </App>,
    )
    stop()
    try {
      await waitFor(() => expect(container.querySelector('#price')?.textContent).toBe('AAPL 191.2'))
      // The server's node was kept (hydrated), not thrown away and rendered again.
      expect(container.querySelector('#price')).toBe(serverNode)
      expect(recoverable).toEqual([])
      expect(logged).not.toHaveBeenCalled()
    } finally {
      logged.mockRestore()
    }
  })

  it('without initialData streams the fallback and ends the stream, then the browser renders the data', async () => {
    const page = await serverSide()
    const rendering = serverClient()
    const { html, errors } = await streamToString(
      <page.App client={rendering.client}>
        <page.WithoutInitial />
      </page.App>,
    )
    rendering.client.close()
    expect(rendering.fetches()).toBe(0)
    expect(html).toContain('<p id="fallback">loading</p>')
    expect(html).not.toContain('id="price"')
    // React reports why the boundary is left to the browser, as for any client-only part.
    // (A LiveDataError of the server's own module graph: compared by code, not by class.)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ name: 'LiveDataError', code: 'ERR_UNSUPPORTED' })

    const { App, WithoutInitial } = browserSide
    container.innerHTML = html
    const { recoverable, logged } = await hydrate(
      <App client={browser}>
        <WithoutInitial />
      </App>,
    )
    try {
      expect(container.querySelector('#fallback')?.textContent).toBe('loading')
      await waitForOpen(browser, 'prices')
      server.live.publish('prices', { symbol: 'MSFT', price: 420 })
      await waitFor(() => expect(container.querySelector('#price')?.textContent).toBe('MSFT 420'))
      expect(container.querySelector('#fallback')).toBeNull()
      // No mismatch: the one report is React's "switched to client rendering" for that boundary,
      // carrying our reason.
      expect(recoverable).toHaveLength(1)
      expect(String((recoverable[0] as Error).message)).toContain(
        'useSuspenseLiveData("prices") has no data to render on the server',
      )
      expect(logged).not.toHaveBeenCalled()
    } finally {
      logged.mockRestore()
    }
  })
})
