// The latency section of `pnpm bench`: publish → the client's listener at a steady rate, for
// @livedata over WebSocket and SSE beside a raw `ws` server, a raw SSE stream and socket.io. Each
// server is a process of its own (node-process.ts, started by nodes.ts), which stamps every
// payload with its clock when it publishes (publishing.ts); the client is in the bench's process
// (latency-clients.ts), which takes its own time when the message reaches it, and the two clocks
// are compared over IPC round trips (clock.ts).
import { availableParallelism } from 'node:os'
import { latencies } from './latency'
import { type LatencyClientKind, startLatencyClient } from './latency-clients'
import type { NodeServerKind } from './node-commands'
import { startNodes } from './nodes'
import { printTable } from './table'
import { within } from './within'

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
/** Messages per second. */
const RATE = setting('BENCH_LATENCY_RATE', 1000)
/** Counted seconds per contender, split over PASSES. */
const SECONDS = setting('BENCH_LATENCY_SECONDS', 5)
/** Passes over the contenders, every other one in reverse order; each has its warm-up. */
const PASSES = setting('BENCH_LATENCY_PASSES', 2)
/** Seconds of each pass that are not counted. */
const WARMUP = 1
/** A pass that has not ended this long after its last publish is reported, not waited for. */
const TIMEOUT = 30_000

interface Contender {
  name: string
  server: NodeServerKind
  client: LatencyClientKind
  /** The raw contender its p99 is compared with. */
  baseline?: string
}

const CONTENDERS: Contender[] = [
  { name: 'raw ws', server: 'ws', client: 'ws' },
  {
    name: '@livedata websocket',
    server: 'livedata',
    client: 'livedata websocket',
    baseline: 'raw ws',
  },
  {
    name: 'socket.io websocket',
    server: 'socket.io',
    client: 'socket.io websocket',
    baseline: 'raw ws',
  },
  { name: 'raw SSE', server: 'sse', client: 'sse' },
  { name: '@livedata sse', server: 'livedata', client: 'livedata sse', baseline: 'raw SSE' },
]

/** What the section measured for one contender, in ms. */
export interface LatencyRow {
  name: string
  baseline?: string
  samples: number
  p50: number
  p99: number
  max: number
  /** p99 − the baseline's p99. */
  deltaP99?: number
  error?: string
}

let channels = 0

/** One pass of one contender: a fresh server and client, WARMUP + `seconds` at RATE. */
async function pass(
  contender: Contender,
  seconds: number,
  samples: ReturnType<typeof latencies>,
  notes: Set<string>,
): Promise<number> {
  const counted = Math.round(RATE * WARMUP)
  const count = counted + Math.round(RATE * seconds)
  const nodes = await startNodes({ count: 1, history: count, server: contender.server })
  try {
    const channel = `latency-${channels++}`
    const client = await startLatencyClient(
      contender.client,
      nodes.origins[0] as string,
      channel,
      (payload, arrived) => {
        // The server stamped `t` on its clock; ours is `offset` behind it.
        if (payload.seq >= counted) samples.add(arrived - (payload.t - nodes.offset))
      },
    )
    try {
      const [, published] = await within(
        Promise.all([
          client.until(count),
          nodes.publish({ type: 'steady', channel, count, rate: RATE }),
        ]),
        TIMEOUT + (count / RATE) * 1000,
        `${contender.name} steady`,
      )
      if (published.failed) notes.add(`${published.failed} publishes failed: ${published.error}`)
      for (const note of client.notes()) notes.add(note)
    } finally {
      client.close()
    }
    return nodes.offsetError
  } finally {
    await nodes.close()
  }
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '—')

/**
 * The latency section: PASSES passes over the contenders, alternating them (every other pass in
 * reverse order, so that each is measured as often early as late), the samples of a contender's
 * passes pooled; one table, with each p99 beside its raw transport's.
 */
export async function latencySection(): Promise<LatencyRow[]> {
  console.log(
    `\nLatency, publish → the client's listener on loopback: ${RATE.toLocaleString('en')} messages/s, ${PASSES} passes over the contenders of ${WARMUP} s warm-up + ${(SECONDS / PASSES).toFixed(1)} s counted each (${SECONDS} s counted per contender); server in its own process, client in the bench's; clocks compared over IPC (${availableParallelism()} cores, Node ${process.version})\n`,
  )
  const measured = CONTENDERS.map((contender) => ({
    contender,
    samples: latencies(),
    notes: new Set<string>(),
    clock: 0,
  }))
  for (let round = 0; round < PASSES; round++) {
    const order = round % 2 === 0 ? measured : [...measured].reverse()
    for (const entry of order) {
      process.stderr.write(`  latency, ${entry.contender.name}, pass ${round + 1}…\n`)
      try {
        const error = await pass(entry.contender, SECONDS / PASSES, entry.samples, entry.notes)
        entry.clock = Math.max(entry.clock, error)
      } catch (error) {
        entry.notes.add(`FAILED: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
  }
  const rows: LatencyRow[] = measured.map(({ contender, samples, notes }) => {
    const { count, p50, p99, max } = samples.summary()
    const error = [...notes].find((note) => note.startsWith('FAILED'))
    return {
      name: contender.name,
      baseline: contender.baseline,
      samples: count,
      p50,
      p99,
      max,
      error,
    }
  })
  for (const row of rows) {
    const base = rows.find((other) => other.name === row.baseline)
    if (base) row.deltaP99 = row.p99 - base.p99
  }
  printTable(
    ['contender', 'samples', 'p50 ms', 'p99 ms', 'max ms', 'Δp99 vs raw ms', 'clock ms', 'notes'],
    rows.map((row, i) => {
      const entry = measured[i] as (typeof measured)[number]
      return [
        row.name,
        row.samples.toLocaleString('en'),
        ms(row.p50),
        ms(row.p99),
        ms(row.max),
        row.deltaP99 === undefined
          ? ''
          : `${row.deltaP99 >= 0 ? '+' : ''}${row.deltaP99.toFixed(2)} (${row.baseline})`,
        `±${entry.clock.toFixed(2)}`,
        [...entry.notes].join('; '),
      ]
    }),
    new Set([1, 2, 3, 4, 5, 6]),
  )
  return rows
}
