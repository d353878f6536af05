import { readFile } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join, normalize } from 'node:path'
import { type LiveStatus, pollingTransport, type TransportName } from '@livedata/core'
import { describeInChromium, launchChromium } from '@livedata/test-chromium'
import { describeWithRedis } from '@livedata/test-redis'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { sequence, startCluster, type TestCluster } from './cluster'

// The rolling restart: three nodes behind a round-robin proxy, 10,000 sequenced
// messages published (by a worker: the publisher, not a node) while each node in turn is
// stopped (SIGTERM: it ends its connections) and started again. History lives in Redis, so
// every client ends with all of them, none twice, in order, and no gap flag: four transports
// from Node, the iframe transport (which needs a browser document) from Chromium.

const TOTAL = 10_000
/** The publisher stays at most this far ahead of the slowest client. */
const WINDOW = 1_000
const TRANSPORTS: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling']

/** The page of the iframe client, served by the proxy (so the page and the nodes share an origin). */
const PAGE = `<!doctype html><meta charset="utf-8"><title>rolling restart</title>
<script type="module">
import { createLiveClient } from '/core/index.js'
window.received = []
window.gaps = 0
window.statuses = []
const client = createLiveClient({ url: '/live', transports: ['iframe'],
  reconnect: { minDelay: 10, maxDelay: 200 }, heartbeatTimeout: 3000, disconnectDelay: 0 })
const source = client.source('rolling-iframe', {
  initialData: 0,
  reduce: (count, n) => { window.received.push(n); return count + 1 },
})
source.subscribe(() => {
  const { status, gap } = source.getSnapshot()
  if (gap) window.gaps++
  if (window.statuses.at(-1) !== status) window.statuses.push(status)
})
</script>`

const coreDist = dirname(createRequire(import.meta.url).resolve('@livedata/core'))

/** Serves the page and the built core; `false` for anything else (routed to a node). */
function servePage(url: string, response: ServerResponse): boolean {
  if (url === '/rolling.html') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE)
    return true
  }
  if (!url.startsWith('/core/')) return false
  const file = normalize(join(coreDist, url.slice('/core/'.length)))
  if (!file.startsWith(coreDist)) {
    response.writeHead(404).end()
    return true
  }
  readFile(file).then(
    (body) => response.writeHead(200, { 'content-type': 'text/javascript' }).end(body),
    () => response.writeHead(404).end(),
  )
  return true
}

let cluster: TestCluster

beforeAll(async () => {
  cluster = await startCluster({
    nodes: 3,
    history: 2 * TOTAL,
    handle: (request, response) => servePage(request.url ?? '/', response),
  })
})

afterAll(async () => {
  await cluster?.close()
})

/**
 * Publishes `TOTAL` numbers on `channel`, at most `WINDOW` ahead of the slowest client
 * (`caughtUp(n)` resolves once every client has `n - WINDOW`), while each node in turn is
 * stopped and started again; resolves once all are published and every node restarted.
 */
async function publishThroughRestarts(
  channel: string,
  caughtUp: (n: number) => Promise<void>,
): Promise<string[]> {
  let published = 0
  const restarted: string[] = []
  const waiters: Array<() => void> = []
  const reached = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => (published >= count ? resolve() : waiters.push(check))
      check()
    })
  // Each node in turn, while messages flow: stopped, then started again on its port.
  const restarts = (async () => {
    for (const [i, node] of cluster.nodes.entries()) {
      await reached(((i + 1) * TOTAL) / 4)
      await node.stop()
      await node.start()
      restarted.push(node.name)
    }
  })()
  for (let n = 0; n < TOTAL; n++) {
    if (n % 100 === 0) await caughtUp(n)
    await cluster.publisher.publish(channel, n)
    published++
    for (const wake of waiters.splice(0)) wake()
  }
  await restarts
  return restarted
}

const expected = Array.from({ length: TOTAL }, (_, n) => n)

describeWithRedis('a rolling restart of three nodes behind a round-robin proxy', () => {
  it(`delivers ${TOTAL} messages to a client on each of ${TRANSPORTS.join(', ')}: all, none twice, in order, no gap`, async () => {
    const clients = TRANSPORTS.map((transport) => {
      const client = cluster.client({
        transports: [transport],
        register: transport === 'polling' ? [pollingTransport({ interval: 20 })] : [],
      })
      const seq = sequence(client, 'rolling')
      const statuses: LiveStatus[] = []
      seq.source.subscribe(() => {
        const { status } = seq.source.getSnapshot()
        if (statuses.at(-1) !== status) statuses.push(status)
      })
      return { transport, seq, statuses }
    })
    await Promise.all(
      clients.map(({ seq }) => seq.until(() => seq.source.getSnapshot().status === 'open')),
    )
    const restarted = await publishThroughRestarts('rolling', async (n) => {
      await Promise.all(
        clients.map(({ seq }) =>
          seq.until(() => seq.received.length >= n - WINDOW || seq.gaps > 0),
        ),
      )
    })
    await Promise.all(
      clients.map(({ seq }) => seq.until(() => seq.received.length >= TOTAL || seq.gaps > 0)),
    )

    expect(restarted).toEqual(['node-1', 'node-2', 'node-3'])
    const figures = clients.map(({ transport, seq, statuses }) => ({
      transport,
      received: seq.received.length,
      distinct: new Set(seq.received).size,
      gaps: seq.gaps,
      reconnects: statuses.filter((status) => status === 'reconnecting').length,
    }))
    console.log(`rolling restart, ${TOTAL} messages:`, JSON.stringify(figures))
    for (const { seq } of clients) {
      expect(seq.gaps).toBe(0)
      expect(seq.received).toEqual(expected)
    }
    // The restarts cut the connections held open: those clients resumed on another node. (A
    // poll cut by a stopping node is simply polled again, through the proxy, elsewhere.)
    for (const { transport, statuses } of clients) {
      if (transport === 'websocket' || transport === 'sse') {
        expect(statuses).toContain('reconnecting')
      }
    }
    // And the requests went round every node.
    // (A request on a kept-alive connection that a stopping node reset is answered 502, not
    // retried elsewhere: it may have reached the node. The client retries it.)
    const served = new Set(cluster.routed.flatMap((entry) => entry.node ?? []))
    expect(served).toEqual(new Set(['node-1', 'node-2', 'node-3']))
  }, 120_000)
})

describeInChromium('a rolling restart, the iframe transport in Chromium', () => {
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    browser = await launchChromium()
    page = await browser.newPage()
    page.setDefaultTimeout(60_000)
    await page.goto(`${cluster.proxy.url}/rolling.html`)
  })

  afterAll(async () => {
    await browser?.close()
  })

  type Progress = { received: number[]; gaps: number; statuses: string[] }
  const progress = () =>
    page.evaluate(() => {
      const w = window as unknown as Progress
      return { received: w.received, gaps: w.gaps, statuses: w.statuses }
    })

  it(`delivers ${TOTAL} messages over the iframe transport: all, none twice, in order, no gap`, async () => {
    await page.waitForFunction(() => (window as unknown as Progress).statuses?.includes('open'))
    const restarted = await publishThroughRestarts('rolling-iframe', async (n) => {
      await page.waitForFunction((at) => {
        const w = window as unknown as Progress
        return w.received.length >= at || w.gaps > 0
      }, n - WINDOW)
    })
    await page.waitForFunction((total) => {
      const w = window as unknown as Progress
      return w.received.length >= total || w.gaps > 0
    }, TOTAL)
    const { received, gaps, statuses } = await progress()
    console.log(
      `rolling restart over iframe (Chromium): ${received.length}/${TOTAL}, gaps ${gaps}, reconnects ${statuses.filter((s) => s === 'reconnecting').length}`,
    )
    expect(restarted).toEqual(['node-1', 'node-2', 'node-3'])
    expect(gaps).toBe(0)
    expect(received).toEqual(expected)
    expect(statuses).toContain('reconnecting')
  }, 120_000)
})
