// The fan-out section of `pnpm bench`: with N idle clients connected to one server, the server's
// heap and RSS per connection, and how long one publish takes to reach the last of them. The
// server runs in a process of its own (fan-out-server.ts, node --expose-gc), the N connections in
// another (fan-out-clients.ts); the bench drives both over IPC.
import { execSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startFanOutChild } from './fan-out-child'
import type { FanOutClientKind, FanOutServerKind } from './fan-out-commands'
import { printTable } from './table'

const SERVER = fileURLToPath(new URL('./fan-out-server.js', import.meta.url))
const CLIENTS = fileURLToPath(new URL('./fan-out-clients.js', import.meta.url))

/** Publishes per row; the median counts. */
const PUBLISHES = Number(process.env.BENCH_FANOUT_PUBLISHES ?? 5)
/** Connections opened, sent one message and closed before the empty server is measured. */
const WARM_UP = 50
/** A step that has not ended after this long is reported, not waited for. */
const TIMEOUT = 30_000

interface Contender {
  name: string
  server: FanOutServerKind
  client: FanOutClientKind
}

const CONTENDERS: Contender[] = [
  { name: 'raw ws broadcast', server: 'ws', client: 'ws' },
  { name: '@livedata websocket', server: 'livedata', client: 'livedata websocket' },
  { name: 'socket.io websocket', server: 'socket.io', client: 'socket.io websocket' },
  { name: '@livedata sse', server: 'livedata', client: 'livedata sse' },
  { name: '@livedata long-polling', server: 'livedata', client: 'livedata long-polling' },
  { name: 'socket.io polling', server: 'socket.io', client: 'socket.io polling' },
]

/** The open-files limit each process gets (the shell's `ulimit -n`). */
function fileLimit(): number {
  try {
    return Number(execSync('ulimit -n', { encoding: 'utf8', shell: '/bin/sh' }).trim())
  } catch {
    return 1024
  }
}

/** The connection counts to measure: 2,000 and 10,000 unless set, those the limit allows. */
function counts(limit: number): number[] {
  const wanted = (process.env.BENCH_FANOUT_COUNTS ?? '2000,10000').split(',').map(Number)
  // Each process holds one descriptor per connection, and some of its own.
  return wanted.filter((count) => count + 256 <= limit)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done after ${TIMEOUT} ms`)), TIMEOUT)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/** What the section measured for one contender at one connection count. */
export interface FanOutRow extends Measured {
  name: string
  /** Connections. */
  count: number
}

export interface Measured {
  /** Bytes of heap per idle connection. */
  heapPerConnection: number
  /** Bytes of RSS per idle connection. */
  rssPerConnection: number
  /** ms from the publish call until the last client had it, median of PUBLISHES. */
  fanOut: number
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

/** One contender at `count` connections, with a fresh server and client process. */
async function measure(contender: Contender, count: number): Promise<Measured> {
  const server = await startFanOutChild(SERVER, { FANOUT_SERVER: contender.server }, [
    '--expose-gc',
  ])
  const clients = await startFanOutChild(CLIENTS, {
    FANOUT_CLIENT: contender.client,
    FANOUT_ORIGIN: `http://127.0.0.1:${server.port}`,
  }).catch(async (error: unknown) => {
    await server.close()
    throw error
  })
  let seq = 0
  /** Publishes once; ms from the publish call (server clock) to the last arrival (clients'). */
  const publish = async () => {
    const current = seq++
    const all = clients.ask<'arrived'>({ type: 'expect', seq: current })
    const { t } = await server.ask<'published'>({ type: 'publish', seq: current })
    const { last } = await within(all, `${contender.name}: publish ${current}`)
    return last - clients.offset - (t - server.offset)
  }
  try {
    // Warm up the code paths, then let the server drop every connection before measuring it empty.
    await within(clients.ask<'opened'>({ type: 'open', count: WARM_UP }), 'warm-up')
    await publish()
    await clients.ask<'closed'>({ type: 'close' })
    for (let i = 0; i < 50; i++) {
      const { count: open } = await server.ask<'connections'>({ type: 'connections' })
      if (open === 0) break
      await sleep(100)
    }
    const empty = await server.ask<'memory'>({ type: 'memory' })
    await within(clients.ask<'opened'>({ type: 'open', count }), `${contender.name}: open ${count}`)
    // Let the last handshakes and held requests settle: the connections are idle from here.
    await sleep(1000)
    const full = await server.ask<'memory'>({ type: 'memory' })
    const times: number[] = []
    for (let i = 0; i < PUBLISHES; i++) {
      times.push(await publish())
      // Long-poll loops ask again after each answer: let them be held again.
      await sleep(300)
    }
    return {
      heapPerConnection: (full.heapUsed - empty.heapUsed) / count,
      rssPerConnection: (full.rss - empty.rss) / count,
      fanOut: median(times),
    }
  } finally {
    await clients.close()
    await server.close()
  }
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1)
const ratio = (value: number, base: number | undefined) =>
  base === undefined || !Number.isFinite(value) ? '' : `${(value / base).toFixed(2)}×`

/**
 * The fan-out section: every contender at each connection count, in one table with ratios to
 * the raw `ws` broadcast at the same count. `BENCH_FANOUT_COUNTS=2000` measures one count.
 */
export async function fanOutSection(): Promise<FanOutRow[]> {
  const limit = fileLimit()
  const sizes = counts(limit)
  console.log(
    `\nFan-out and memory per idle connection: server in its own process (--expose-gc), clients in another; ` +
      `heap and RSS after gc with N connections minus with none, over N; one publish to all N, ` +
      `median of ${PUBLISHES} (ulimit -n ${limit}: N = ${sizes.map((n) => n.toLocaleString('en')).join(', ')})\n`,
  )
  const rows: string[][] = []
  const measured: FanOutRow[] = []
  for (const count of sizes) {
    let base: Measured | undefined
    for (const contender of CONTENDERS) {
      process.stderr.write(`  ${contender.name}, ${count} connections…\n`)
      const started = performance.now()
      try {
        const result = await measure(contender, count)
        measured.push({ name: contender.name, count, ...result })
        base ??= result
        rows.push([
          contender.name,
          count.toLocaleString('en'),
          kb(result.heapPerConnection),
          ratio(result.heapPerConnection, base.heapPerConnection),
          kb(result.rssPerConnection),
          ratio(result.rssPerConnection, base.rssPerConnection),
          result.fanOut.toFixed(1),
          ratio(result.fanOut, base.fanOut),
        ])
      } catch (error) {
        rows.push([contender.name, count.toLocaleString('en'), 'failed:', String(error)])
      }
      process.stderr.write(`    ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
    }
  }
  printTable(
    ['contender', 'N', 'heap KB/conn', '× ws', 'RSS KB/conn', '× ws', 'fan-out ms', '× ws'],
    rows,
    new Set([1, 2, 3, 4, 5, 6, 7]),
  )
  return measured
}
