// @vitest-environment node
import { createLiveClient } from '@livedata/core'
import { trapGlobals } from '@livedata/test-server'
import { renderToString } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { LiveDataProvider, useLiveData } from '../src/index'

const browserGlobals = ['window', 'document', 'navigator'] as const

function Price() {
  const { data, status } = useLiveData<number>('prices', { initialData: 191.2 })
  return (
    <p>
      {status}: AAPL {data}
    </p>
  )
}

describe('server rendering', () => {
  it('renders initialData with renderToString and touches no window', () => {
    let fetches = 0
    const client = createLiveClient({
      url: 'http://127.0.0.1:9/live',
      fetch: async () => {
        fetches++
        throw new Error('no request may leave a server render')
      },
    })
    // Any read of a browser global during the render is recorded.
    const touched: string[] = []
    const restore = trapGlobals(browserGlobals, (name) => touched.push(name))

    let html: string
    try {
      html = renderToString(
        <LiveDataProvider client={client}>
          <Price />
        </LiveDataProvider>,
      )
    } finally {
      restore()
    }

    expect(html).toBe('<p>connecting<!-- -->: AAPL <!-- -->191.2</p>')
    expect(touched).toEqual([])
    expect(fetches).toBe(0)
    client.close()
  })
})
