// @vitest-environment node
import { createLiveClient } from '@livedata/core'
import { render } from 'svelte/server'
import { describe, expect, it } from 'vitest'
import { liveData } from '../src/runes'
import RunesPrice from './RunesPrice.svelte'
import { recordingClient, withBrowserGlobalsTrapped } from './server-render'

describe('the runes form in server rendering', () => {
  it('renders initialData with svelte/server and touches no window nor network', () => {
    expect(typeof window).toBe('undefined')
    const { client, calls } = recordingClient()
    // Any read of a browser global during the render is recorded.
    const { body } = withBrowserGlobalsTrapped(calls, () =>
      render(RunesPrice, {
        props: { client, options: { initialData: { symbol: 'AAPL', price: 191.2 } } },
      }),
    )

    expect(body).toContain('data-status="connecting"')
    expect(body).toContain('AAPL 191.2')
    expect(calls).toEqual([])
    client.close()
  })

  it('gives the server snapshot, not what the shared client holds', () => {
    const client = createLiveClient({ url: 'http://127.0.0.1:9/live' })
    const quote = liveData('quote', { initialData: 191.2 }, client)
    expect([quote.data, quote.status, quote.transport]).toEqual([191.2, 'connecting', null])
    client.close()
    // The source is closed now; a server render still shows what the browser starts from.
    expect(client.source('quote').getSnapshot().status).toBe('closed')
    expect(quote.status).toBe('connecting')
  })
})
