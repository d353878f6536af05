// @vitest-environment node
import { createLiveClient } from '@livedata/core'
import { trapGlobals } from '@livedata/test-server'
import { describe, expect, it } from 'vitest'
import { createSSRApp, defineComponent, h } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { createLiveData, useLiveData } from '../src/index'

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
})
