// @vitest-environment node
import { createLiveClient } from '@livedata/core'
import { renderToString } from 'react-dom/server'
import { afterEach, describe, expect, it } from 'vitest'
import { LiveDataProvider, useLiveData } from '../src/index'

const browserGlobals = ['window', 'document', 'navigator'] as const
const originals = browserGlobals.map(
  (name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const,
)

afterEach(() => {
  for (const [name, descriptor] of originals) {
    if (descriptor) Object.defineProperty(globalThis, name, descriptor)
    else Reflect.deleteProperty(globalThis, name)
  }
})

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
    for (const name of browserGlobals) {
      Object.defineProperty(globalThis, name, {
        configurable: true,
        get() {
          touched.push(name)
          return undefined
        },
      })
    }

    const html = renderToString(
      <LiveDataProvider client={client}>
        <Price />
      </LiveDataProvider>,
    )

    expect(html).toBe('<p>connecting<!-- -->: AAPL <!-- -->191.2</p>')
    expect(touched).toEqual([])
    expect(fetches).toBe(0)
    client.close()
  })
})
