import { once } from 'node:events'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createLiveClient,
  type LiveSource,
  pollingTransport,
  type TransportName,
} from '@livedata/core'
import { createLiveServer } from '@livedata/server'
import { socketIo } from '@livedata/socket.io'
import { Server as SocketIoServer } from 'socket.io'
import { io as socketIoClient } from 'socket.io-client'
import { WebSocket, WebSocketServer } from 'ws'
import { counter } from './counter'
import { printTable } from './table'
import { whenOpen } from './when-open'

// End-to-end throughput on loopback, @livedata side by side with what it is built over: one
// server, one client, MESSAGES small JSON messages published in bursts, timed from the first
// publish until the client has parsed the last one. Each scenario runs ROUNDS times; the best
// round counts (the least disturbed by the rest of the machine).

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const BURST = 200

const payload = (seq: number) => ({ symbol: 'AAPL', price: 191.23 + (seq % 100) / 100, seq })

/** A running setup: `publish` sends one message, `received` resolves after `count` arrived. */
interface Setup {
  publish(seq: number): void
  received(count: number): Promise<void>
  close(): Promise<void>
}

interface Scenario {
  name: string
  /** The scenario it is measured against, if any. */
  baseline?: string
  start(): Promise<Setup>
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

/** Counts the messages of a source whose data is the number of messages it folded. */
function countedBy(source: LiveSource<number>) {
  const count = counter()
  let seen = 0
  const stop = source.subscribe(() => {
    const total = source.getSnapshot().data ?? 0
    count.add(total - seen)
    seen = total
  })
  return { until: count.until, stop }
}

/** @livedata over one transport: the real server and the real client. */
function livedata(transport: TransportName, baseline?: string): Scenario {
  return {
    name: `@livedata ${transport}`,
    baseline,
    async start() {
      const http = createServer()
      // History holds the whole run: a slow transport catches up instead of skipping (a gap).
      const live = createLiveServer({ history: MESSAGES }).attach(http)
      const port = await listen(http)
      const client = createLiveClient({
        url: `http://127.0.0.1:${port}/live`,
        transports: [transport],
        // Short polling asks again at once: the bench measures the transport, not a wait.
        register: [pollingTransport({ interval: 0 })],
        WebSocket,
      })
      const source = client.source<number, unknown>('bench', {
        initialData: 0,
        reduce: (count) => count + 1,
      })
      const count = countedBy(source)
      await whenOpen(source)
      return {
        publish: (seq) => void live.publish('bench', payload(seq)),
        received: (n) => count.until(n),
        async close() {
          count.stop()
          client.close()
          await live.close()
          await closeServer(http)
        },
      }
    },
  }
}

const rawWebSocket: Scenario = {
  name: 'raw ws',
  async start() {
    const http = createServer()
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
    const port = await listen(http)
    const count = counter()
    const client = new WebSocket(`ws://127.0.0.1:${port}`)
    client.on('message', (data) => {
      JSON.parse(String(data))
      count.add()
    })
    await Promise.all([once(wss, 'connection'), once(client, 'open')])
    return {
      publish(seq) {
        const text = JSON.stringify(payload(seq))
        for (const socket of wss.clients) socket.send(text)
      },
      received: (n) => count.until(n),
      async close() {
        client.terminate()
        wss.close()
        await closeServer(http)
      },
    }
  },
}

const rawSse: Scenario = {
  name: 'raw SSE',
  async start() {
    const streams = new Set<ServerResponse>()
    const http = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/event-stream' })
      response.write(':\n\n')
      streams.add(response)
    })
    const port = await listen(http)
    const count = counter()
    const controller = new AbortController()
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: controller.signal })
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    void (async () => {
      // The least a client can do: split events, take the data line, parse it.
      let buffer = ''
      try {
        for (;;) {
          const { value, done } = await reader.read()
          if (done) return
          buffer += decoder.decode(value, { stream: true })
          let end = buffer.indexOf('\n\n')
          while (end !== -1) {
            const event = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            if (event.startsWith('data: ')) {
              JSON.parse(event.slice(6))
              count.add()
            }
            end = buffer.indexOf('\n\n')
          }
        }
      } catch {
        // aborted
      }
    })()
    while (streams.size === 0) await new Promise((resolve) => setImmediate(resolve))
    return {
      publish(seq) {
        const frame = `data: ${JSON.stringify(payload(seq))}\n\n`
        for (const stream of streams) stream.write(frame)
      },
      received: (n) => count.until(n),
      async close() {
        controller.abort()
        await closeServer(http)
      },
    }
  },
}

const rawSocketIo: Scenario = {
  name: 'raw socket.io',
  async start() {
    const http = createServer()
    const io = new SocketIoServer(http, { serveClient: false })
    const port = await listen(http)
    const count = counter()
    const client = socketIoClient(`http://127.0.0.1:${port}`, { transports: ['websocket'] })
    client.on('m', () => count.add())
    await new Promise<void>((resolve) => client.once('connect', () => resolve()))
    return {
      publish: (seq) => void io.emit('m', payload(seq)),
      received: (n) => count.until(n),
      async close() {
        client.disconnect()
        await io.close()
        await closeServer(http)
      },
    }
  },
}

const livedataSocketIo: Scenario = {
  name: '@livedata socket.io',
  baseline: 'raw socket.io',
  async start() {
    const http = createServer()
    const io = new SocketIoServer(http, { serveClient: false })
    const port = await listen(http)
    const client = createLiveClient({ register: [socketIo] })
    const source = client.source<number, unknown>('bench', {
      url: `http://127.0.0.1:${port}`,
      transport: 'socket.io',
      event: 'm',
      initialData: 0,
      reduce: (count) => count + 1,
    })
    const count = countedBy(source)
    await whenOpen(source)
    return {
      publish: (seq) => void io.emit('m', payload(seq)),
      received: (n) => count.until(n),
      async close() {
        count.stop()
        client.close()
        await io.close()
        await closeServer(http)
      },
    }
  },
}

const SCENARIOS: Scenario[] = [
  rawWebSocket,
  livedata('websocket', 'raw ws'),
  rawSse,
  livedata('sse', 'raw SSE'),
  rawSocketIo,
  livedataSocketIo,
  livedata('long-polling'),
  livedata('polling'),
]

/** One round: publish in bursts, yielding between them, until the client has them all. */
async function round(scenario: Scenario): Promise<number> {
  const setup = await scenario.start()
  try {
    const started = performance.now()
    const done = setup.received(MESSAGES)
    for (let seq = 0; seq < MESSAGES; seq++) {
      setup.publish(seq)
      if (seq % BURST === BURST - 1) await new Promise((resolve) => setImmediate(resolve))
    }
    await done
    return performance.now() - started
  } finally {
    await setup.close()
  }
}

/**
 * The first section of `pnpm bench`: each scenario's best round, in a table, with the ratio to
 * its baseline. `BENCH_ONLY=sse` runs the scenarios whose name contains it (and their baselines).
 */
export async function throughputSection(): Promise<void> {
  console.log(
    `Throughput on loopback: ${MESSAGES.toLocaleString('en')} messages, best of ${ROUNDS} rounds (Node ${process.version})\n`,
  )
  const results = new Map<string, number>()
  const rows: string[][] = []
  const only = process.env.BENCH_ONLY
  const chosen = only
    ? SCENARIOS.filter(
        (scenario) =>
          scenario.name.includes(only) ||
          SCENARIOS.some((other) => other.name.includes(only) && other.baseline === scenario.name),
      )
    : SCENARIOS
  for (const scenario of chosen) {
    let best = Number.POSITIVE_INFINITY
    process.stderr.write(`  ${scenario.name}…\n`)
    for (let i = 0; i < ROUNDS; i++) best = Math.min(best, await round(scenario))
    const rate = (MESSAGES / best) * 1000
    results.set(scenario.name, rate)
    const base = scenario.baseline ? results.get(scenario.baseline) : undefined
    const ratio = base ? rate / base : undefined
    rows.push([
      scenario.name,
      Math.round(rate).toLocaleString('en'),
      best.toFixed(1),
      ratio === undefined ? '' : `${ratio.toFixed(2)}× ${scenario.baseline}`,
      ratio === undefined ? '' : ratio >= 0.9 ? 'ok (budget 0.9×)' : 'UNDER budget 0.9×',
    ])
  }
  printTable(['scenario', 'messages/s', 'ms', 'vs', 'budget'], rows, new Set([1, 2]))
}
