import { createLiveClient, type LiveClient } from '@livedata/core'
import { startLiveServer, type TestLiveServer } from '@livedata/test-server'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSSRApp, defineComponent, h, nextTick } from 'vue'
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
})
