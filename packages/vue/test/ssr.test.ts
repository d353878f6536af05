// @vitest-environment node
import { createLiveClient } from '@livedata/core'
import { trapGlobals } from '@livedata/test-server'
import { describe, expect, it } from 'vitest'
import { createSSRApp, defineComponent, h, onErrorCaptured, Suspense } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { createLiveData, isLiveDataError, type LiveClient, useLiveData } from '../src/index'

const browserGlobals = ['window', 'document', 'navigator'] as const

const Price = defineComponent({
  setup() {
    const { data, status } = useLiveData<number>('prices', { initialData: 191.2 })
    return () => h('p', `${status.value}: AAPL ${data.value}`)
  },
})

describe('server rendering', () => {
  it('renders initialData with renderToString, never subscribes and touches no window', async () => {
    let fetches = 0
    const client = createLiveClient({
      url: 'http://127.0.0.1:9/live',
      fetch: async () => {
        fetches++
        throw new Error('no request may leave a server render')
      },
    })
    const app = createSSRApp(Price).use(createLiveData(client))
    // Any read of a browser global during the render is recorded.
    const touched: string[] = []
    const restore = trapGlobals(browserGlobals, (name) => touched.push(name))

    let html: string
    try {
      html = await renderToString(app)
    } finally {
      restore()
    }

    expect(html).toBe('<p>connecting: AAPL 191.2</p>')
    expect(touched).toEqual([])
    expect(fetches).toBe(0)
    // A subscription would have started the connection and so changed the snapshot.
    const source = client.source<number>('prices')
    expect(source.getSnapshot()).toBe(source.getServerSnapshot())
    client.close()
  })

  it('await useLiveData renders initialData on the server without connecting', async () => {
    const client = offline()
    const Price = defineComponent({
      async setup() {
        const { data } = await useLiveData<number>('prices', { initialData: 191.2 })
        return () => h('p', `AAPL ${data.value}`)
      },
    })
    const app = createSSRApp({ render: () => h(Suspense, null, () => h(Price)) })
    const html = await renderToString(app.use(createLiveData(client.client)))
    expect(html).toBe('<p>AAPL 191.2</p>')
    expect(client.fetches()).toBe(0)
    client.client.close()
  })

  it('await useLiveData without initialData rejects with ERR_UNSUPPORTED rather than hang', async () => {
    const client = offline()
    const Price = defineComponent({
      async setup() {
        const { data } = await useLiveData<number>('prices')
        return () => h('p', `AAPL ${data.value}`)
      },
    })
    const caught: unknown[] = []
    const Boundary = defineComponent({
      setup(_, { slots }) {
        onErrorCaptured((error) => {
          caught.push(error)
          return false
        })
        return () => slots.default?.()
      },
    })
    const app = createSSRApp({
      render: () => h(Boundary, () => h(Suspense, null, () => h(Price))),
    })
    // The render ends (a hang would time the test out), and the error reached the boundary.
    await renderToString(app.use(createLiveData(client.client)))
    expect(caught).toHaveLength(1)
    expect(isLiveDataError(caught[0], 'ERR_UNSUPPORTED')).toBe(true)
    expect((caught[0] as Error).message).toMatch(
      /^await useLiveData\("prices"\) has no data on the server: give it initialData/,
    )
    expect(client.fetches()).toBe(0)
    client.client.close()
  })
})

/** A client whose every request fails the test: a server render must send none. */
function offline(): { client: LiveClient; fetches: () => number } {
  let fetches = 0
  const client = createLiveClient({
    url: 'http://127.0.0.1:9/live',
    fetch: async () => {
      fetches++
      throw new Error('no request may leave a server render')
    },
  })
  return { client, fetches: () => fetches }
}
