// @vitest-environment node
import { createLiveClient } from '@livedata/core'
import { render } from 'svelte/server'
import { describe, expect, it } from 'vitest'
import { firstData, liveData } from '../src/index'
import Awaited from './Awaited.svelte'
import Dashboard from './Dashboard.svelte'
import { recordingClient, withBrowserGlobalsTrapped } from './server-render'

describe('server rendering', () => {
  it('renders initialData with svelte/server and touches no window nor network', () => {
    expect(typeof window).toBe('undefined')
    const { client, calls } = recordingClient()
    // Any read of a browser global during the render is recorded.
    const { body } = withBrowserGlobalsTrapped(calls, () =>
      render(Dashboard, {
        props: { client, options: { initialData: { symbol: 'AAPL', price: 191.2 } } },
      }),
    )

    expect(body).toContain('data-status="connecting"')
    expect(body).toContain('AAPL 191.2')
    expect(calls).toEqual([])
    expect(client.source('prices').getSnapshot().status).toBe('connecting')
    client.close()
  })

  it('firstData resolves with initialData on the server, else rejects with ERR_UNSUPPORTED', async () => {
    let fetches = 0
    const client = createLiveClient({
      url: 'http://127.0.0.1:9/live',
      fetch: async () => {
        fetches++
        throw new Error('no request may leave a server render')
      },
    })
    await expect(firstData(liveData('quote', { initialData: 191.2 }, client))).resolves.toBe(191.2)
    // Without initialData a server render has nothing to wait for: it ends, it does not hang.
    await expect(firstData(liveData('prices', undefined, client))).rejects.toMatchObject({
      code: 'ERR_UNSUPPORTED',
      message: 'firstData() has no data on the server: give the store initialData',
    })
    // {#await} renders its pending block on the server (and handles the rejection).
    const { body } = render(Awaited, { props: { client } })
    expect(body).toContain('data-testid="fallback"')
    expect(fetches).toBe(0)
    client.close()
  })
})
