// The second section of `pnpm bench`: publish-to-delivery on one node in memory, one node on
// Redis and three nodes on Redis. Every node is a process of its own (node-process.ts); the
// clients run in the bench's process, spread round-robin over the nodes; the publisher is
// `live.publish` on the first node, or in the last setup a worker process with createPublisher
// (worker-process.ts), which the bench drives over IPC. With a backplane a publish goes to
// Redis, and every node (the first one too) delivers what its follow reads back.
import { availableParallelism } from 'node:os'
import type { TransportName } from '@livedata/core'
import {
  type RedisServer,
  RedisServerMissingError,
  startRedisServer,
} from '@livedata/example-cluster/redis-server'
import { type ClientFaults, startClients } from './bench-clients'
import { latencies } from './latency'
import { type BenchNodes, startNodes } from './nodes'
import { printTable } from './table'
import { within } from './within'

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
/** Messages of a throughput burst. */
const MESSAGES = setting('BENCH_NODES_MESSAGES', 20_000)
/** Throughput rounds; the best counts. */
const ROUNDS = setting('BENCH_NODES_ROUNDS', 3)
/** Clients per row, spread over the nodes. */
const CLIENTS = setting('BENCH_NODES_CLIENTS', 3)
/** Latency: messages per second, for SECONDS after WARMUP seconds that are not counted. */
const RATE = setting('BENCH_NODES_RATE', 1000)
const SECONDS = setting('BENCH_NODES_SECONDS', 5)
const WARMUP = 1
const BURST = 200
/** A round that has not ended after this long is reported, not waited for. */
const TIMEOUT = 60_000

const TRANSPORTS: TransportName[] = ['websocket', 'sse']

interface Setup {
  name: string
  nodes: number
  redis: boolean
  publisher: 'first node' | 'worker'
}

const SETUPS: Setup[] = [
  { name: '1 node, in memory', nodes: 1, redis: false, publisher: 'first node' },
  { name: '1 node on Redis', nodes: 1, redis: true, publisher: 'first node' },
  { name: '3 nodes on Redis', nodes: 3, redis: true, publisher: 'first node' },
  { name: '3 nodes on Redis, worker', nodes: 3, redis: true, publisher: 'worker' },
]

let channels = 0
/** A channel no measurement used before, in this run (Redis keeps them all until the end). */
const freshChannel = (name: string) => `${name}-${channels++}`

/** What went wrong in a measurement, for the notes column. */
function faultsOf(faults: ClientFaults, published: { failed: number; error?: string }) {
  const notes: string[] = []
  if (faults.gaps) notes.push(`${faults.gaps} gap flags`)
  if (faults.duplicates) notes.push(`${faults.duplicates} delivered twice`)
  if (faults.disagreeing) notes.push(`${faults.disagreeing} clients in another order`)
  if (faults.reordered) notes.push('log order ≠ publish-call order')
  if (published.failed) notes.push(`${published.failed} publishes failed: ${published.error}`)
  return notes
}

/** The best of ROUNDS bursts, each on a fresh channel: ms until every client had them all. */
async function throughput(nodes: BenchNodes, transport: TransportName, notes: string[]) {
  let best = Number.POSITIVE_INFINITY
  for (let round = 0; round < ROUNDS; round++) {
    const channel = freshChannel(`burst-${transport}`)
    const clients = await startClients({
      origins: nodes.origins,
      count: CLIENTS,
      transport,
      channel,
    })
    try {
      const started = performance.now()
      const delivered = clients.until(MESSAGES).then(() => performance.now())
      const published = nodes.publish({ type: 'burst', channel, count: MESSAGES, burst: BURST })
      const [ended, outcome] = await within(
        Promise.all([delivered, published]),
        TIMEOUT,
        `${transport} burst`,
      )
      best = Math.min(best, ended - started)
      notes.push(...faultsOf(clients.faults(), outcome))
    } finally {
      clients.close()
    }
  }
  return best
}

/** Publishes at RATE for WARMUP + SECONDS; the latency of every message after the warm-up. */
async function latency(nodes: BenchNodes, transport: TransportName, notes: string[]) {
  const samples = latencies()
  const counted = RATE * WARMUP
  const count = RATE * (WARMUP + SECONDS)
  const channel = freshChannel(`steady-${transport}`)
  const clients = await startClients({
    origins: nodes.origins,
    count: CLIENTS,
    transport,
    channel,
    onArrival(payload, arrived) {
      // The publisher stamped `t` on its clock; ours is `offset` behind it.
      if (payload.seq >= counted) samples.add(arrived - (payload.t - nodes.offset))
    },
  })
  try {
    const [, outcome] = await within(
      Promise.all([
        clients.until(count),
        nodes.publish({ type: 'steady', channel, count, rate: RATE }),
      ]),
      TIMEOUT + (WARMUP + SECONDS) * 1000,
      `${transport} steady`,
    )
    notes.push(...faultsOf(clients.faults(), outcome))
  } finally {
    clients.close()
  }
  return samples.summary()
}

const ms = (value: number) => (Number.isNaN(value) ? '—' : value.toFixed(2))

/** What one transport of one setup measured. */
interface Measured {
  best?: number
  delay?: ReturnType<ReturnType<typeof latencies>['summary']>
  notes: string[]
}

/**
 * One row per transport of one setup. Latency is measured first, for every transport, on nodes
 * that have not yet taken a burst: the bursts leave large rings and garbage behind that would
 * show in the next measurement's p99 (a 4 ms p99 became 20 ms on one node on Redis).
 */
async function measure(setup: Setup, redis: RedisServer | null): Promise<string[][]> {
  const nodes = await startNodes({
    count: setup.nodes,
    redisUrl: setup.redis ? redis?.url : undefined,
    // History holds a whole burst: a slow client catches up instead of skipping (a gap).
    history: MESSAGES,
    publisher: setup.publisher,
  })
  const measured = new Map<TransportName, Measured>(
    TRANSPORTS.map((transport) => [transport, { notes: [] }]),
  )
  const attempt = async (transport: TransportName, step: (entry: Measured) => Promise<void>) => {
    const entry = measured.get(transport) as Measured
    try {
      await step(entry)
    } catch (error) {
      entry.notes.push(`FAILED: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  try {
    for (const transport of TRANSPORTS) {
      process.stderr.write(`  ${setup.name}, ${transport}, latency…\n`)
      await attempt(transport, async (entry) => {
        entry.delay = await latency(nodes, transport, entry.notes)
      })
    }
    for (const transport of TRANSPORTS) {
      process.stderr.write(`  ${setup.name}, ${transport}, throughput…\n`)
      await attempt(transport, async (entry) => {
        if (ROUNDS > 0) entry.best = await throughput(nodes, transport, entry.notes)
      })
    }
  } finally {
    await nodes.close()
  }
  const spread = setup.nodes === 1 ? `${CLIENTS} on 1 node` : `${CLIENTS} over ${setup.nodes} nodes`
  return TRANSPORTS.map((transport) => {
    const { best, delay, notes } = measured.get(transport) as Measured
    return [
      setup.name,
      transport,
      spread,
      best === undefined ? '—' : Math.round((MESSAGES / best) * 1000).toLocaleString('en'),
      best === undefined ? '—' : best.toFixed(1),
      ms(delay?.p50 ?? Number.NaN),
      ms(delay?.p99 ?? Number.NaN),
      ms(delay?.max ?? Number.NaN),
      `±${nodes.offsetError.toFixed(2)}`,
      [...new Set(notes)].join('; '),
    ]
  })
}

/**
 * The several-nodes section of `pnpm bench`: a redis-server of its own on a free loopback port
 * (none installed: one loud line, and only the in-memory rows), then each setup's rows.
 */
export async function severalNodesSection(): Promise<void> {
  let redis: RedisServer | null = null
  let missing = ''
  try {
    redis = await startRedisServer({
      who: 'The several-nodes section of pnpm bench',
      dirPrefix: 'livedata-bench-',
    })
    // Should the bench die, its redis-server goes with it.
    const { pid } = redis
    process.once('exit', () => {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    })
  } catch (error) {
    missing =
      error instanceof RedisServerMissingError
        ? `NO REDIS: ${error.message} Its Redis rows are skipped.`
        : `NO REDIS: redis-server did not start (${error instanceof Error ? error.message : String(error)}); the Redis rows are skipped.`
  }
  console.log(
    `\nSeveral nodes, publish to delivery on loopback: ${CLIENTS} clients per row (each its own connection, in the bench's process; the nodes are processes), publisher live.publish on the first node, or a worker process with createPublisher; throughput: ${MESSAGES.toLocaleString('en')} messages in a burst, until every client has them all, best of ${ROUNDS}; latency: ${RATE.toLocaleString('en')} messages/s for ${SECONDS} s after ${WARMUP} s of warm-up, publish → the client's listener (${availableParallelism()} cores, Node ${process.version}, redis-server ${redis?.version ?? 'none'})\n`,
  )
  if (missing) console.log(`!!! ${missing}\n`)
  const rows: string[][] = []
  try {
    for (const setup of SETUPS) {
      if (setup.redis && !redis) continue
      rows.push(...(await measure(setup, redis)))
    }
  } finally {
    await redis?.stop()
  }
  printTable(
    [
      'setup',
      'transport',
      'clients',
      'messages/s',
      'ms',
      'p50 ms',
      'p99 ms',
      'max ms',
      'clock ms',
      'notes',
    ],
    rows,
    new Set([3, 4, 5, 6, 7, 8]),
  )
}
