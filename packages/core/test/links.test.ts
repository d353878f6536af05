import { createLiveServer, type LiveServer } from '@livedata/server'
import { describe, expect, it } from 'vitest'
import { createLiveClient } from '../src/index'
import { SPEC_BUDGET } from '../src/transports/request-link'
import { startHttpServer, testScope, until, waitForSnapshot } from './servers'

// How the client's shared requests behave: one per client, split when the URL would grow too
// long, and never asking again for an id the server said is gone.

const { client, defer, server } = testScope()

describe.each(['long-polling', 'sse'] as const)(
  'after a restart of the server, over %s',
  (transport) => {
    it('the next request names the cursor the server gave, not the id it no longer knows', async () => {
      let live: LiveServer = createLiveServer({ retry: 10 })
      const http = await startHttpServer((request, response) => {
        if (!live.handle(request, response)) response.writeHead(404).end()
      })
      defer(() => http.close())
      const c = client({ url: `${http.origin}${live.path}`, transports: [transport] })
      const chat = c.source<number[], number>('chat', {
        initialData: [],
        reduce: (l, n) => [...l, n],
      })
      chat.subscribe(() => {})
      await waitForSnapshot(chat, (x) => x.status === 'open')
      live.publish('chat', 1)
      await waitForSnapshot(chat, (x) => x.data.length === 1)
      // A restart: a new server, its history empty; the client's id means nothing to it.
      await live.close()
      live = createLiveServer({ retry: 10 })
      defer(() => live.close())
      await waitForSnapshot(chat, (x) => x.gap && x.status === 'open')
      // SSE names its channels again at the next replacement: a join makes one.
      if (transport === 'sse') c.source('other').subscribe(() => {})
      await until(() => http.requests.some((r) => /[?&]c=chat!0-0(&|$)/.test(r.url ?? '')))
      live.publish('chat', 2)
      await waitForSnapshot(chat, (x) => x.data.at(-1) === 2)
    })
  },
)

describe.each(['sse', 'long-polling'] as const)('a join over %s', (transport) => {
  it('keeps the other channels flowing on the old request until the new one is open', async () => {
    let letIn!: () => void
    const gate = new Promise<void>((resolve) => {
      letIn = resolve
    })
    let asked!: () => void
    const joining = new Promise<void>((resolve) => {
      asked = resolve
    })
    const s = await server({
      authorize: async ({ channel }) => {
        if (channel !== 'slow') return true
        asked()
        await gate // a slow check (a database) for the channel that joins
        return true
      },
    })
    const c = client({ url: s.url, transports: [transport] })
    const feed = c.source<number>('feed')
    feed.subscribe(() => {})
    await waitForSnapshot(feed, (x) => x.status === 'open')
    const slow = c.source<number>('slow')
    slow.subscribe(() => {})
    await joining
    // The new request waits for authorize: the old one still carries "feed".
    s.live.publish('feed', 1)
    await waitForSnapshot(feed, (x) => x.data === 1)
    letIn()
    await waitForSnapshot(slow, (x) => x.status === 'open')
    s.live.publish('slow', 2)
    s.live.publish('feed', 3)
    await waitForSnapshot(slow, (x) => x.data === 2)
    await waitForSnapshot(feed, (x) => x.data === 3)
  })
})

describe('a client with more channels than one request can name', () => {
  it('splits them over a second request, and every channel is live', async () => {
    const s = await server()
    const c = client({ url: s.url, transports: ['sse'] })
    // Long names: about 120 of them fill one request's budget.
    const name = (i: number) => `tenant-42.dashboard.widget-${i}`.padEnd(60, 'x')
    const count = Math.ceil((SPEC_BUDGET / (name(0).length + 68)) * 1.5)
    const sources = Array.from({ length: count }, (_, i) => c.source<number>(name(i)))
    for (const source of sources) source.subscribe(() => {})
    await Promise.all(sources.map((source) => waitForSnapshot(source, (x) => x.status === 'open')))
    for (let i = 0; i < count; i++) s.live.publish(name(i), i)
    await Promise.all(sources.map((source, i) => waitForSnapshot(source, (x) => x.data === i)))
    // The streams open at the end: two or more, each within the budget, every channel in one.
    const urls = s.requests.map((r) => r.url ?? '').filter((url) => url.includes('transport=sse'))
    for (const url of urls) expect(url.length).toBeLessThan(SPEC_BUDGET + 200)
    const firstChannels = new Set(urls.map((url) => new URL(url, s.origin).searchParams.get('c')))
    expect(firstChannels.size).toBeGreaterThanOrEqual(2)
  })
})

describe('a channel name the server cannot take', () => {
  it('is refused by source() itself, so that it never fails the request of the others', () => {
    const c = createLiveClient({ url: '/live' })
    expect(() => c.source('rooms/42')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }),
    )
    expect(() => c.source('x'.repeat(257))).toThrow(/1 to 256 characters/)
    // A plain endpoint's key is only a name.
    expect(() => c.source('rooms/42', { url: 'https://example.com/stream' })).not.toThrow()
  })
})

describe('crossTab where Web Locks are missing (Node)', () => {
  it('quietly keeps one connection per client, and says tab: solo', async () => {
    const s = await server()
    const c = client({ url: s.url, transports: ['sse'], crossTab: true })
    const news = c.source<number>('news')
    news.subscribe(() => {})
    const open = await waitForSnapshot(news, (x) => x.status === 'open')
    expect(open.tab).toBe('solo')
    expect(open.transport).toBe('sse')
    s.live.publish('news', 1)
    await waitForSnapshot(news, (x) => x.data === 1)
  })
})
