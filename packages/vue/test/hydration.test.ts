import { createLiveClient, type LiveClient } from '@livedata/core'
import { startLiveServer, type TestLiveServer } from '@livedata/test-server'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSSRApp, defineComponent, h, nextTick, Suspense } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { createLiveData, useLiveData } from '../src/index'

// jsdom's fetch cannot stream; Node's can.
const nodeFetch = globalThis.fetch

let server: TestLiveServer
let client: LiveClient
beforeEach(async () => {
  server = await startLiveServer()
  client = createLiveClient({ url: server.url, transports: ['sse'], fetch: nodeFetch })
})
afterEach(async () => {
  client.close()
  await server.close()
  vi.restoreAllMocks()
})

const Badge = defineComponent({
  setup() {
    const { status, transport } = useLiveData<number>('prices', { initialData: 1 })
    return () => h('p', { 'data-transport': String(transport.value) }, status.value)
  },
})

describe('hydration', () => {
  it('hydrates server HTML without a mismatch, then shows the live snapshot', async () => {
    const html = await renderToString(createSSRApp(Badge).use(createLiveData(client)))
    document.body.innerHTML = `<div id="app">${html}</div>`
    const warnings: string[] = []
    vi.spyOn(console, 'warn').mockImplementation((...args) => warnings.push(args.join(' ')))
    vi.spyOn(console, 'error').mockImplementation((...args) => warnings.push(args.join(' ')))
    createSSRApp(Badge).use(createLiveData(client)).mount('#app')
    expect(warnings.filter((w) => /hydration/i.test(w))).toEqual([])
    await nextTick()
    await vi.waitFor(() =>
      expect(document.querySelector('p')?.getAttribute('data-transport')).toBe('sse'),
    )
  })

  it('hydrates an awaited useLiveData from initialData though the browser has newer data', async () => {
    const Price = defineComponent({
      async setup() {
        const { data } = await useLiveData<number>('quote', { initialData: 1 })
        return () => h('p', `AAPL ${data.value}`)
      },
    })
    const Page = { render: () => h(Suspense, null, () => h(Price)) }
    const html = await renderToString(createSSRApp(Page).use(createLiveData(client)))
    expect(html).toBe('<p>AAPL 1</p>')
    document.body.innerHTML = `<div id="app">${html}</div>`

    // The browser's source is already live, with newer data than the server rendered.
    const source = client.source<number>('quote')
    const unsubscribe = source.subscribe(() => {})
    await vi.waitFor(() => expect(source.getSnapshot().status).toBe('open'))
    server.live.publish('quote', 2)
    await vi.waitFor(() => expect(source.getSnapshot().data).toBe(2))

    const warnings: string[] = []
    vi.spyOn(console, 'warn').mockImplementation((...args) => warnings.push(args.join(' ')))
    vi.spyOn(console, 'error').mockImplementation((...args) => warnings.push(args.join(' ')))
    createSSRApp(Page).use(createLiveData(client)).mount('#app')
    // Then the live data, once mounted.
    await vi.waitFor(() => expect(document.querySelector('p')?.textContent).toBe('AAPL 2'))
    expect(warnings.filter((w) => /hydration|mismatch/i.test(w))).toEqual([])
    unsubscribe()
  })
})
