import { createServer, type Server, Socket } from 'node:net'
import { createLiveClient, type LiveStatus } from '@livedata/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RuntimeProcess, startRuntime } from './helpers/runtime-process'

// The resume test: 1,000 sequenced messages through live.fetch on Bun, the stream cut
// 10 times by the network (a TCP proxy in this process between the Node client and Bun drops
// every connection at once, as a lost link would), and the client delivers each message once,
// in order. "0 twice" is what the client delivers (it also drops an id at or below its
// cursor); that the server never sends again what a cursor already has is judged on Bun by the
// conformance suite's resume checks (bun.test.ts).

const TOTAL = 1_000
const CUTS = 10
// The conformance fixture keeps 20 messages per channel: the publisher stays at most this far
// ahead of the client, so that whatever a cut loses in flight is still in history.
const WINDOW = 15

/** A TCP proxy to `target` that can drop every connection through it. */
interface CuttingProxy {
  origin: string
  /** Destroys both sides of every open connection. */
  cut(): number
  close(): Promise<void>
}

async function startCuttingProxy(target: URL): Promise<CuttingProxy> {
  const pairs = new Set<[Socket, Socket]>()
  const server: Server = createServer((client) => {
    const upstream = new Socket()
    const pair: [Socket, Socket] = [client, upstream]
    pairs.add(pair)
    const drop = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    upstream.connect(Number(target.port), target.hostname)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no port')
  return {
    origin: `http://127.0.0.1:${address.port}`,
    cut() {
      const count = pairs.size
      for (const [client, upstream] of [...pairs]) {
        client.destroy()
        upstream.destroy()
      }
      pairs.clear()
      return count
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [client, upstream] of pairs) {
          client.destroy()
          upstream.destroy()
        }
        server.close(() => resolve())
      }),
  }
}

/** Resolves once `predicate` holds, checked on every notification of `subscribe`. */
function when(subscribe: (listener: () => void) => () => void, predicate: () => boolean) {
  return new Promise<void>((resolve) => {
    if (predicate()) return resolve()
    const unsubscribe = subscribe(() => {
      if (!predicate()) return
      unsubscribe()
      resolve()
    })
  })
}

let bun: RuntimeProcess
let proxy: CuttingProxy

beforeAll(async () => {
  // --fetch: Bun.serve({ fetch: live.fetch }), the HTTP transports through live.fetch alone.
  bun = await startRuntime('bun', ['fixtures/bun.ts', '--fetch'])
  proxy = await startCuttingProxy(new URL(bun.origin))
})

afterAll(async () => {
  await proxy?.close()
  await bun?.stop()
})

async function publish(channel: string, data: number): Promise<void> {
  const response = await fetch(`${bun.origin}/control/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel, data }),
  })
  if (!response.ok) throw new Error(`publish ${data}: ${response.status} ${await response.text()}`)
}

describe.each(['sse', 'long-polling'] as const)(
  'on Bun, through live.fetch over %s',
  (transport) => {
    it(`delivers ${TOTAL} sequenced messages with the stream cut ${CUTS} times: 0 lost, 0 twice, in order`, async () => {
      const channel = `sequence-${transport}`
      const client = createLiveClient({
        url: `${proxy.origin}/live`,
        transports: [transport],
        reconnect: { minDelay: 10, maxDelay: 50 },
        disconnectDelay: 0,
      })
      try {
        const source = client.source<number[], number>(channel, {
          initialData: [],
          reduce: (list, n) => [...list, n],
        })
        const statuses: LiveStatus[] = []
        let gaps = 0 // history no longer reached back: messages lost for good
        source.subscribe(() => {
          const { status, gap } = source.getSnapshot()
          if (statuses.at(-1) !== status) statuses.push(status)
          if (gap) gaps++
        })
        const received = () => source.getSnapshot().data.length
        const reconnects = () => statuses.filter((s) => s === 'reconnecting').length
        const subscribe = (listener: () => void) => source.subscribe(listener)
        await when(subscribe, () => source.getSnapshot().status === 'open')

        let cuts = 0
        let publishedWhileDown = 0
        for (let n = 0; n < TOTAL; n++) {
          await when(subscribe, () => received() >= n - WINDOW || gaps > 0)
          if (n % (TOTAL / CUTS) === TOTAL / CUTS / 2) {
            // Each cut drops a stream the client holds open, and is seen as one.
            await when(
              subscribe,
              () => reconnects() === cuts && source.getSnapshot().status === 'open',
            )
            expect(proxy.cut()).toBeGreaterThan(0)
            cuts++
          }
          if (source.getSnapshot().status !== 'open') publishedWhileDown++
          await publish(channel, n)
        }
        await when(subscribe, () => received() >= TOTAL || gaps > 0)

        const data = source.getSnapshot().data
        expect(gaps).toBe(0)
        expect(data.length).toBe(TOTAL)
        expect(new Set(data).size).toBe(TOTAL) // 0 twice
        expect(data).toEqual(Array.from({ length: TOTAL }, (_, n) => n)) // 0 lost, in order
        expect(reconnects()).toBeGreaterThanOrEqual(CUTS)
        // The cuts fell while messages flowed: some were published with no stream open.
        expect(publishedWhileDown).toBeGreaterThan(0)
      } finally {
        client.close()
      }
    }, 30_000)
  },
)
