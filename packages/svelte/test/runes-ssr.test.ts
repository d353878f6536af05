// @vitest-environment node
import { createLiveClient, type LiveEnvironment } from '@livedata/core'
import { trapGlobals } from '@livedata/test-server'
import { render } from 'svelte/server'
import { describe, expect, it } from 'vitest'
import { liveData } from '../src/runes'
import RunesPrice from './RunesPrice.svelte'

const browserGlobals = ['document', 'navigator', 'location'] as const

describe('the runes form in server rendering', () => {
  it('renders initialData with svelte/server and touches no window nor network', () => {
    expect(typeof window).toBe('undefined')
    const calls: string[] = []
    // The connection's first steps are to read and subscribe to these; none may happen.
    const environment: LiveEnvironment = {
      isOnline() {
        calls.push('isOnline')
        return true
      },
      isVisible() {
        calls.push('isVisible')
        return true
      },
      subscribe() {
        calls.push('subscribe')
        return () => {}
      },
    }
    const client = createLiveClient({
      url: 'http://127.0.0.1:9/live',
      environment,
      fetch: async () => {
        calls.push('fetch')
        throw new Error('no request may leave a server render')
      },
    })
    // Any read of a browser global during the render is recorded.
    const restore = trapGlobals(browserGlobals, (name) => calls.push(name))

    let body: string
    try {
      ;({ body } = render(RunesPrice, {
        props: { client, options: { initialData: { symbol: 'AAPL', price: 191.2 } } },
      }))
    } finally {
      restore()
    }

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
