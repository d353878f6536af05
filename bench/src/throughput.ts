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
// publish until the client has parsed the last one. Each scenario runs ROUNDS times, the
// scenarios alternating round by round; the best round counts (the least disturbed by the rest
// of the machine).

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
      // WebSocket and SSE run with the server's defaults (history 1,000): they keep up, and a
      // client that did not would get a gap, reset its count and never reach MESSAGES (the
      // round would time out, not pass). Polling transports fetch in requests and fall behind a
      // burst by design: their history holds the whole run, so they catch up instead.
      const history = transport === 'websocket' || transport === 'sse' ? undefined : MESSAGES
      const live = createLiveServer({ history }).attach(http)
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

/** socket.io over one transport: the server's `io.emit`, socket.io-client. */
function rawSocketIo(transport: 'websocket' | 'polling'): Scenario {
  return {
    name: `socket.io ${transport}`,
    async start() {
      const http = createServer()
      const io = new SocketIoServer(http, { serveClient: false })
      const port = await listen(http)
      const count = counter()
      const client = socketIoClient(`http://127.0.0.1:${port}`, { transports: [transport] })
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
}

const livedataSocketIo: Scenario = {
  name: '@livedata socket.io',
  baseline: 'socket.io websocket',
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
  rawSocketIo('websocket'),
  livedataSocketIo,
  livedata('long-polling'),
  livedata('polling'),
  rawSocketIo('polling'),
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
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${scenario.name}: not every message arrived within 60 s (a gap?)`)),
        60_000,
      )
    })
    await Promise.race([done, late]).finally(() => clearTimeout(timer))
    return performance.now() - started
  } finally {
    await setup.close()
  }
}

/** What the section measured for one scenario. */
export interface ThroughputRow {
  name: string
  /** Messages per second of its best round. */
  rate: number
  /** ms of its best round. */
  best: number
}

/** The issue-13 targets of this section: the scenario, its raw transport, the least ratio. */
export const THROUGHPUT_TARGETS = [
  { name: '@livedata websocket', raw: 'raw ws', atLeast: 1 },
  { name: '@livedata sse', raw: 'raw SSE', atLeast: 1 },
] as const

/**
 * The first section of `pnpm bench`: ROUNDS rounds of every scenario, alternating them (one
 * round of each, then the next), the best round of each in a table with its ratio to raw `ws`
 * and to a raw SSE stream. `BENCH_ONLY=sse` runs the scenarios whose name contains it (and their
 * baselines).
 */
export async function throughputSection(): Promise<ThroughputRow[]> {
  console.log(
    `Throughput on loopback: ${MESSAGES.toLocaleString('en')} messages, best of ${ROUNDS} rounds, the scenarios alternating (Node ${process.version})\n`,
  )
  const only = process.env.BENCH_ONLY
  const chosen = only
    ? SCENARIOS.filter(
        (scenario) =>
          scenario.name.includes(only) ||
          SCENARIOS.some((other) => other.name.includes(only) && other.baseline === scenario.name),
      )
    : SCENARIOS
  const best = new Map<string, number>(chosen.map((scenario) => [scenario.name, Infinity]))
  for (let i = 0; i < ROUNDS; i++) {
    process.stderr.write(`  throughput, round ${i + 1} of ${ROUNDS}…\n`)
    for (const scenario of chosen) {
      const ms = await round(scenario)
      best.set(scenario.name, Math.min(best.get(scenario.name) ?? Infinity, ms))
    }
  }
  const rows: ThroughputRow[] = chosen.map((scenario) => {
    const ms = best.get(scenario.name) ?? Infinity
    return { name: scenario.name, rate: (MESSAGES / ms) * 1000, best: ms }
  })
  const rateOf = (name: string) => rows.find((row) => row.name === name)?.rate
  const ratio = (rate: number, base: number | undefined) =>
    base === undefined ? '' : `${(rate / base).toFixed(2)}×`
  const scenarioOf = new Map(chosen.map((scenario) => [scenario.name, scenario]))
  printTable(
    ['scenario', 'messages/s', 'ms', '÷ raw ws', '÷ raw SSE', 'vs', 'target (issue 13)'],
    rows.map((row) => {
      const baseline = scenarioOf.get(row.name)?.baseline
      const target = THROUGHPUT_TARGETS.find((t) => t.name === row.name)
      const base = target ? rateOf(target.raw) : undefined
      return [
        row.name,
        Math.round(row.rate).toLocaleString('en'),
        row.best.toFixed(1),
        ratio(row.rate, rateOf('raw ws')),
        ratio(row.rate, rateOf('raw SSE')),
        baseline && !target ? `${ratio(row.rate, rateOf(baseline))} ${baseline}` : '',
        target && base !== undefined
          ? `≥ ${target.atLeast.toFixed(1)}× ${target.raw}: ${row.rate / base >= target.atLeast ? 'met' : 'NOT MET'}`
          : '',
      ]
    }),
    new Set([1, 2, 3, 4]),
  )
  return rows
}
