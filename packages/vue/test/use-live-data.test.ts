import { createLiveClient, type LiveClient } from '@livedata/core'
import { startLiveServer, type TestLiveServer } from '@livedata/test-server'
import { mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  type Component,
  createApp,
  defineComponent,
  effectScope,
  h,
  type MaybeRefOrGetter,
  ref,
  watch,
} from 'vue'
import { createLiveData, type LiveStatus, useLiveData } from '../src/index'

// Node's own fetch streams response bodies; taken before anything can shadow it.
const nodeFetch = globalThis.fetch

interface Quote {
  symbol: string
  price: number
}

let server: TestLiveServer
let client: LiveClient

beforeEach(async () => {
  // A short retry hint, so a dropped connection comes back within milliseconds.
  server = await startLiveServer({ retry: 10 })
  client = createLiveClient({
    url: server.url,
    // The binding is under test, not the transport: SSE only, so the server can count streams.
    transports: ['sse'],
    fetch: nodeFetch,
    disconnectDelay: 10,
    reconnect: { minDelay: 10 },
  })
})

afterEach(async () => {
  client.close()
  await server.close()
})

/** A component that shows one channel's latest quote, its status and transport. */
function priceOf(channel: MaybeRefOrGetter<string> = 'prices', onStatus?: (s: LiveStatus) => void) {
  return defineComponent({
    setup() {
      const { data, status, transport } = useLiveData<Quote>(channel)
      if (onStatus) watch(status, onStatus, { immediate: true, flush: 'sync' })
      return () =>
        h(
          'p',
          {
            'data-testid': 'price',
            'data-status': status.value,
            'data-transport': transport.value ?? '',
          },
          data.value ? `${data.value.symbol} ${data.value.price}` : 'no price yet',
        )
    },
  })
}

function mountWithClient(component: Component) {
  return mount(component, { global: { plugins: [createLiveData(client)] } })
}

describe('useLiveData', () => {
  it('renders data as it arrives', async () => {
    const wrapper = mountWithClient(priceOf())
    const price = () => wrapper.get('[data-testid="price"]')
    expect(price().text()).toBe('no price yet')
    await vi.waitFor(() => expect(price().attributes('data-status')).toBe('open'))
    expect(price().attributes('data-transport')).toBe('sse')

    server.live.publish('prices', { symbol: 'AAPL', price: 191.2 })
    await vi.waitFor(() => expect(price().text()).toBe('AAPL 191.2'))
    server.live.publish('prices', { symbol: 'AAPL', price: 191.5 })
    await vi.waitFor(() => expect(price().text()).toBe('AAPL 191.5'))
    wrapper.unmount()
  })

  it('goes connecting → open → reconnecting → open when the server drops the connection', async () => {
    const statuses: LiveStatus[] = []
    const wrapper = mountWithClient(priceOf('prices', (status) => statuses.push(status)))
    await vi.waitFor(() => expect(statuses).toEqual(['connecting', 'open']))

    const first = await server.stream(0)
    server.dropConnections()
    await first.closed
    await server.stream(1)
    await vi.waitFor(() => expect(statuses).toEqual(['connecting', 'open', 'reconnecting', 'open']))
    expect(wrapper.get('[data-testid="price"]').attributes('data-status')).toBe('open')
    wrapper.unmount()
  })

  it('sends to the server through send', async () => {
    const received: Array<{ channel: string; data: unknown }> = []
    const delivered = new Promise<void>((resolve) => {
      server.live.on('message', (channel, data) => {
        received.push({ channel, data })
        resolve()
      })
    })
    const Ping = defineComponent({
      setup() {
        const { send } = useLiveData('prices')
        return () => h('button', { onClick: () => void send({ type: 'ping' }) }, 'ping')
      },
    })
    const wrapper = mountWithClient(Ping)
    await wrapper.get('button').trigger('click')
    await delivered
    expect(received).toEqual([{ channel: 'prices', data: { type: 'ping' } }])
    wrapper.unmount()
  })

  it('closes the connection when the component unmounts', async () => {
    const wrapper = mountWithClient(priceOf())
    const stream = await server.stream(0)
    await vi.waitFor(() =>
      expect(wrapper.get('[data-testid="price"]').attributes('data-status')).toBe('open'),
    )
    wrapper.unmount()
    await stream.closed
    expect(client.source('prices').getSnapshot().status).toBe('closed')
  })

  it('shares one connection between components on the same channel', async () => {
    const Price = priceOf()
    const wrapper = mountWithClient({ render: () => h('div', [h(Price), h(Price)]) })
    await vi.waitFor(() =>
      expect(
        wrapper.findAll('[data-testid="price"]').map((p) => p.attributes('data-status')),
      ).toEqual(['open', 'open']),
    )
    server.live.publish('prices', { symbol: 'MSFT', price: 420 })
    await vi.waitFor(() =>
      expect(wrapper.findAll('[data-testid="price"]').map((p) => p.text())).toEqual([
        'MSFT 420',
        'MSFT 420',
      ]),
    )
    expect(server.streams).toHaveLength(1)
    wrapper.unmount()
  })

  it('switches channels when the channel ref changes, and lets the old one go', async () => {
    const channel = ref('prices')
    const wrapper = mountWithClient(priceOf(channel))
    const price = () => wrapper.get('[data-testid="price"]')
    const old = await server.stream(0)
    expect(old.url).toMatch(/[?&]c=prices\b/)
    // Subscribed (after authorize) before the publish, which a fresh subscription would miss.
    await vi.waitFor(() => expect(price().attributes('data-status')).toBe('open'))
    server.live.publish('prices', { symbol: 'AAPL', price: 191.2 })
    await vi.waitFor(() => expect(price().text()).toBe('AAPL 191.2'))

    channel.value = 'crypto'
    const next = await server.stream(1)
    expect(next.url).toMatch(/[?&]c=crypto\b/)
    await old.closed
    await vi.waitFor(() => expect(price().attributes('data-status')).toBe('open'))
    // The new channel has no data yet: nothing of the old one may linger.
    expect(price().text()).toBe('no price yet')
    server.live.publish('crypto', { symbol: 'BTC', price: 97000 })
    await vi.waitFor(() => expect(price().text()).toBe('BTC 97000'))
    expect(client.source('prices').getSnapshot().status).toBe('closed')
    wrapper.unmount()
  })

  it('follows a getter as the channel', async () => {
    const symbol = ref('AAPL')
    const wrapper = mountWithClient(priceOf(() => `quotes.${symbol.value}`))
    expect((await server.stream(0)).url).toMatch(/[?&]c=quotes\.AAPL\b/)
    symbol.value = 'MSFT'
    expect((await server.stream(1)).url).toMatch(/[?&]c=quotes\.MSFT\b/)
    wrapper.unmount()
  })

  it('does not render a component again for a field it does not show', async () => {
    let statusRenders = 0
    const Status = defineComponent({
      setup() {
        const { status } = useLiveData<Quote>('prices')
        return () => {
          statusRenders++
          return h('span', { 'data-testid': 'status' }, status.value)
        }
      },
    })
    const Price = priceOf()
    const wrapper = mountWithClient({ render: () => h('div', [h(Status), h(Price)]) })
    await vi.waitFor(() => expect(wrapper.get('[data-testid="status"]').text()).toBe('open'))
    const before = statusRenders

    server.live.publish('prices', { symbol: 'AAPL', price: 1 })
    await vi.waitFor(() => expect(wrapper.get('[data-testid="price"]').text()).toBe('AAPL 1'))
    server.live.publish('prices', { symbol: 'AAPL', price: 2 })
    await vi.waitFor(() => expect(wrapper.get('[data-testid="price"]').text()).toBe('AAPL 2'))
    expect(statusRenders).toBe(before)
    wrapper.unmount()
  })

  it('works in an effect scope outside components, and lets go when the scope stops', async () => {
    const warn = vi.spyOn(console, 'warn')
    const app = createApp({ render: () => null }).use(createLiveData(client))
    const scope = effectScope()
    const { status } = app.runWithContext(() => scope.run(() => useLiveData('prices')))!
    const stream = await server.stream(0)
    await vi.waitFor(() => expect(status.value).toBe('open'))
    scope.stop()
    await stream.closed
    expect(warn).not.toHaveBeenCalled()
    warn.mockRestore()
  })

  it('warns that it would leak when called outside any effect scope', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const app = createApp({ render: () => null }).use(createLiveData(client))
      app.runWithContext(() => useLiveData('prices'))
      expect(warn).toHaveBeenCalledOnce()
      expect(warn.mock.calls[0]![0]).toMatch(
        /^useLiveData\("prices"\) was called outside setup\(\) and any effect scope, so nothing will ever unsubscribe it/,
      )
    } finally {
      warn.mockRestore()
    }
  })

  it('throws a helpful error when the plugin is not installed', () => {
    // Vue reports the setup error with console.warn before rethrowing it.
    const quiet = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      expect(() => mount(priceOf())).toThrow(
        /need a client: install it with app\.use\(createLiveData\(/,
      )
    } finally {
      quiet.mockRestore()
    }
  })
})
