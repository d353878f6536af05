// @vitest-environment node
import { createLiveClient, type LiveEnvironment } from '@livedata/core'
import { render } from 'svelte/server'
import { afterEach, describe, expect, it } from 'vitest'
import Dashboard from './Dashboard.svelte'

const browserGlobals = ['document', 'navigator', 'location'] as const
const originals = browserGlobals.map(
  (name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const,
)

afterEach(() => {
  for (const [name, descriptor] of originals) {
    if (descriptor) Object.defineProperty(globalThis, name, descriptor)
    else Reflect.deleteProperty(globalThis, name)
  }
})

describe('server rendering', () => {
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
    for (const name of browserGlobals) {
      Object.defineProperty(globalThis, name, {
        configurable: true,
        get() {
          calls.push(name)
          return undefined
        },
      })
    }

    const { body } = render(Dashboard, {
      props: { client, options: { initialData: { symbol: 'AAPL', price: 191.2 } } },
    })

    expect(body).toContain('data-status="connecting"')
    expect(body).toContain('AAPL 191.2')
    expect(calls).toEqual([])
    expect(client.source('prices').getSnapshot().status).toBe('connecting')
    client.close()
  })
})
