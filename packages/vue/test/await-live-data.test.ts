import { createLiveClient, type LiveClient } from '@livedata/core'
import { type JudgedServer, startJudgedServer } from '@livedata/test-server'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type Component,
  defineComponent,
  h,
  onErrorCaptured,
  type PropType,
  ref,
  Suspense,
  shallowRef,
} from 'vue'
import { createLiveData, isLiveDataError, useLiveData } from '../src/index'

// Node's own fetch streams response bodies; taken before anything can shadow it.
const nodeFetch = globalThis.fetch

interface Quote {
  symbol: string
  price: number
}

let server: JudgedServer
let client: LiveClient
let wrapper: VueWrapper | undefined

async function start(): Promise<void> {
  server = await startJudgedServer()
  // SSE only: one stream per client, so the server's requests count the connections.
  client = createLiveClient({
    url: server.url,
    fetch: nodeFetch,
    transports: ['sse'],
    disconnectDelay: 10,
    reconnect: { minDelay: 20, maxDelay: 50 },
  })
}

afterEach(async () => {
  wrapper?.unmount()
  wrapper = undefined
  client.close()
  await server.close()
})

/** An async setup() that awaits the channel's first data, then renders it. */
function suspended(channel = 'prices', options?: { initialData: Quote }) {
  return defineComponent({
    async setup() {
      const { data, status } = await useLiveData<Quote>(channel, options)
      // `data` is a Quote here: reading it while undefined would throw a TypeError.
      return () =>
        h(
          'p',
          { 'data-testid': 'price', 'data-status': status.value },
          `${channel}: ${data.value.symbol} ${data.value.price}`,
        )
    },
  })
}

/** An error boundary: shows the captured error's code and `serverCode`; a click resets it. */
const Boundary = defineComponent({
  props: { onRetry: Function as PropType<() => void> },
  setup(props, { slots }) {
    const error = shallowRef<unknown>(null)
    onErrorCaptured((captured) => {
      error.value = captured
      return false
    })
    return () => {
      if (error.value === null) return slots.default?.()
      const caught = error.value
      const text = isLiveDataError(caught)
        ? `${caught.code} ${caught.serverCode ?? ''}`.trim()
        : String(caught)
      const retry = () => {
        props.onRetry?.()
        error.value = null
      }
      return h('button', { 'data-testid': 'caught', onClick: retry }, text)
    }
  },
})

/** `component` under a <Suspense> with a fallback, under the boundary, with the client. */
function mountSuspended(component: Component, onRetry?: () => void): VueWrapper {
  const fallback = () => h('p', { 'data-testid': 'fallback' }, 'loading')
  wrapper = mount(
    {
      render: () =>
        h(Boundary, { onRetry }, () =>
          h(Suspense, null, { default: () => h(component), fallback }),
        ),
    },
    { global: { plugins: [createLiveData(client)] } },
  )
  return wrapper
}

const text = (id: string) => wrapper?.find(`[data-testid="${id}"]`).text()
const has = (id: string) => wrapper?.find(`[data-testid="${id}"]`).exists() ?? false

async function waitForOpen(channel: string): Promise<void> {
  await vi.waitFor(() => expect(client.source(channel).getSnapshot().status).toBe('open'))
}

describe('await useLiveData (Suspense)', () => {
  it('shows the fallback, then the data once it arrives', async () => {
    await start()
    mountSuspended(suspended())
    expect(text('fallback')).toBe('loading')
    await waitForOpen('prices')
    expect(has('price')).toBe(false)

    server.live.publish('prices', { symbol: 'AAPL', price: 191.2 })
    await vi.waitFor(() => expect(text('price')).toBe('prices: AAPL 191.2'))
    expect(has('fallback')).toBe(false)
    server.live.publish('prices', { symbol: 'AAPL', price: 191.5 })
    await vi.waitFor(() => expect(text('price')).toBe('prices: AAPL 191.5'))
  })

  it('resolves at once with initialData: it counts as data', async () => {
    await start()
    mountSuspended(suspended('prices', { initialData: { symbol: 'AAPL', price: 0 } }))
    // Microtasks only: no message could have come, nothing waited for the server.
    await flushPromises()
    expect(text('price')).toBe('prices: AAPL 0')
    await waitForOpen('prices')
    server.live.publish('prices', { symbol: 'AAPL', price: 1 })
    await vi.waitFor(() => expect(text('price')).toBe('prices: AAPL 1'))
  })

  it('renders from its first render the data another component already has', async () => {
    await start()
    const Plain = defineComponent({
      setup() {
        const { data } = useLiveData<Quote>('prices')
        return () => h('span', { 'data-testid': 'plain' }, data.value?.symbol ?? '')
      },
    })
    const Price = suspended()
    const shown = ref(false)
    wrapper = mount(
      {
        render: () =>
          h('div', [h(Plain), shown.value ? h(Suspense, null, { default: () => h(Price) }) : null]),
      },
      { global: { plugins: [createLiveData(client)] } },
    )
    await waitForOpen('prices')
    server.live.publish('prices', { symbol: 'NVDA', price: 140 })
    await vi.waitFor(() => expect(text('plain')).toBe('NVDA'))
    // The source has its data and tells nobody again: the new component must take it as is.
    shown.value = true
    await vi.waitFor(() => expect(text('price')).toBe('prices: NVDA 140'))
  })

  it('rejects with a refused channel, which onErrorCaptured catches', async () => {
    await start()
    server.verdicts.set('secret', false)
    mountSuspended(suspended('secret'))
    expect(text('fallback')).toBe('loading')
    await vi.waitFor(() => expect(text('caught')).toBe('ERR_HTTP_STATUS ERR_FORBIDDEN'))
    expect(client.source('secret').getSnapshot().status).toBe('closed')
  })

  it('keeps the fallback through a passing error, and renders the data once it heals', async () => {
    await start()
    server.verdicts.set('prices', 'fail')
    mountSuspended(suspended())
    // authorize failed (503 ERR_AUTHORIZE): passing, so the source reconnects and keeps waiting.
    await vi.waitFor(() =>
      expect(client.source('prices').getSnapshot().error?.serverCode).toBe('ERR_AUTHORIZE'),
    )
    expect(client.source('prices').getSnapshot().status).toBe('reconnecting')
    // A second failed attempt: still waiting, nothing caught.
    await vi.waitFor(() => expect(server.subscribes.length).toBeGreaterThanOrEqual(2))
    expect(text('fallback')).toBe('loading')
    expect(has('caught')).toBe(false)

    server.verdicts.set('prices', true)
    await waitForOpen('prices')
    server.live.publish('prices', { symbol: 'MSFT', price: 420 })
    await vi.waitFor(() => expect(text('price')).toBe('prices: MSFT 420'))
    expect(has('caught')).toBe(false)
  })

  it('waits for data again after client.reconnect() and a reset of the boundary', async () => {
    await start()
    server.verdicts.set('orders', false)
    mountSuspended(suspended('orders'), () => {
      // The user logged in: the server allows it now, and the client connects afresh.
      server.verdicts.set('orders', true)
      client.reconnect()
    })
    await vi.waitFor(() => expect(text('caught')).toBe('ERR_HTTP_STATUS ERR_FORBIDDEN'))
    await wrapper?.get('[data-testid="caught"]').trigger('click')
    expect(text('fallback')).toBe('loading')
    await waitForOpen('orders')
    server.live.publish('orders', { symbol: 'TSLA', price: 250 })
    await vi.waitFor(() => expect(text('price')).toBe('orders: TSLA 250'))
  })

  it('rejects with ERR_CLOSED for a closed client rather than waiting forever', async () => {
    await start()
    client.close()
    mountSuspended(suspended())
    await vi.waitFor(() => expect(text('caught')).toBe('ERR_CLOSED'))
  })

  it('rejects with ERR_CLOSED when the client closes while it waits', async () => {
    await start()
    mountSuspended(suspended())
    await waitForOpen('prices')
    client.close()
    await vi.waitFor(() => expect(text('caught')).toBe('ERR_CLOSED'))
  })

  it('holds no subscription of its own: one stream, and the unmount lets it go', async () => {
    await start()
    mountSuspended(suspended())
    await waitForOpen('prices')
    server.live.publish('prices', { symbol: 'NVDA', price: 140 })
    await vi.waitFor(() => expect(text('price')).toBe('prices: NVDA 140'))
    server.live.publish('prices', { symbol: 'NVDA', price: 141 })
    await vi.waitFor(() => expect(text('price')).toBe('prices: NVDA 141'))
    expect(server.subscribes).toEqual(['prices'])
    expect(server.streams).toHaveLength(1)

    const stream = await server.stream(0)
    wrapper?.unmount()
    wrapper = undefined
    await stream.closed
    expect(client.source('prices').getSnapshot().status).toBe('closed')
  })

  it('lets the connection go when the component goes away while it waits', async () => {
    await start()
    mountSuspended(suspended())
    await waitForOpen('prices')
    const stream = await server.stream(0)
    wrapper?.unmount()
    wrapper = undefined
    await stream.closed
    expect(client.source('prices').getSnapshot().status).toBe('closed')
    expect(server.streams).toHaveLength(1)
  })

  it('never waits again after the first data: data gone back to undefined keeps the last', async () => {
    await start()
    const Count = defineComponent({
      async setup() {
        const { data } = await useLiveData<number, number | null>('count', {
          reduce: (_previous, next) => (next === null ? undefined : next),
        })
        return () => h('p', { 'data-testid': 'count' }, String(data.value))
      },
    })
    mountSuspended(Count)
    await waitForOpen('count')
    server.live.publish('count', 1)
    await vi.waitFor(() => expect(text('count')).toBe('1'))
    server.live.publish('count', null)
    await vi.waitFor(() => expect(client.source('count').getSnapshot().data).toBeUndefined())
    // The notification and Vue's render are microtasks away: let them run.
    await flushPromises()
    expect(text('count')).toBe('1')
    server.live.publish('count', 2)
    await vi.waitFor(() => expect(text('count')).toBe('2'))
  })
})
