// The end of a plain `pnpm bench`: issue 13's targets, one line each, with what this run measured
// and whether it met them, from the figures the sections returned (only the sections that ran).
import type { Measured as BundleSize } from './bundle-sizes'
import type { FanOutRow } from './fan-out'
import type { RendersRow } from './renders'
import type { LatencyRow } from './steady-latency'
import { printTable } from './table'
import type { ThroughputRow } from './throughput'

/** What the sections returned; a section that did not run is left out. */
export interface SectionResults {
  throughput?: ThroughputRow[]
  latency?: LatencyRow[]
  fanOut?: FanOutRow[]
  sizes?: BundleSize[]
  /** `null`: the section ran without Chromium. */
  renders?: RendersRow[] | null
}

/** One target: its measured figure, and whether it is met (undefined: not measured). */
interface Line {
  target: string
  measured: string
  met?: boolean
}

const times = (value: number) => `${value.toFixed(2)}×`
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
const kB = (bytes: number) => `${(bytes / 1000).toFixed(2)} kB`
const n = (count: number) => count.toLocaleString('en')
const all = (values: boolean[]) => values.length > 0 && values.every(Boolean)

function throughputLines(rows: ThroughputRow[]): Line[] {
  const rate = (name: string) => rows.find((row) => row.name === name)?.rate
  return [
    ['@livedata websocket', 'raw ws'],
    ['@livedata sse', 'raw SSE'],
  ].map(([name = '', raw = '']) => {
    const ours = rate(name)
    const base = rate(raw)
    const target = `throughput ${name.replace('@livedata ', '')} ≥ 1.0× ${raw}`
    if (ours === undefined || base === undefined) return { target, measured: 'not measured' }
    const ratio = ours / base
    return {
      target,
      measured: `${times(ratio)} (${n(Math.round(ours))} vs ${n(Math.round(base))} messages/s)`,
      met: ratio >= 1,
    }
  })
}

/** A ratio of two fan-out contenders at every connection count measured. */
function fanOutRatio(
  rows: FanOutRow[],
  target: string,
  name: string,
  base: string,
  value: (row: FanOutRow) => number,
  atMost: number,
): Line {
  const ratios: { count: number; ratio: number }[] = []
  for (const row of rows) {
    if (row.name !== name) continue
    const other = rows.find((candidate) => candidate.name === base && candidate.count === row.count)
    if (other) ratios.push({ count: row.count, ratio: value(row) / value(other) })
  }
  if (ratios.length === 0) return { target, measured: 'not measured' }
  return {
    target,
    measured: ratios.map(({ count, ratio }) => `${times(ratio)} at ${n(count)}`).join(', '),
    met: all(ratios.map(({ ratio }) => ratio <= atMost)),
  }
}

function fanOutLines(rows: FanOutRow[]): Line[] {
  const fanOut = (row: FanOutRow) => row.fanOut
  const heap = (row: FanOutRow) => row.heapPerConnection
  const wsHeap = rows.filter((row) => row.name === '@livedata websocket')
  return [
    fanOutRatio(
      rows,
      'fan-out websocket ≤ 1.0× raw ws broadcast',
      '@livedata websocket',
      'raw ws broadcast',
      fanOut,
      1,
    ),
    fanOutRatio(
      rows,
      'fan-out sse ≤ 1.5× raw ws broadcast',
      '@livedata sse',
      'raw ws broadcast',
      fanOut,
      1.5,
    ),
    fanOutRatio(
      rows,
      'fan-out long-polling ≤ 0.5× socket.io polling',
      '@livedata long-polling',
      'socket.io polling',
      fanOut,
      0.5,
    ),
    wsHeap.length === 0
      ? { target: 'heap per idle websocket connection ≤ 4 KB', measured: 'not measured' }
      : {
          target: 'heap per idle websocket connection ≤ 4 KB',
          measured: wsHeap
            .map((row) => `${kb(row.heapPerConnection)} at ${n(row.count)}`)
            .join(', '),
          met: all(wsHeap.map((row) => row.heapPerConnection <= 4 * 1024)),
        },
    fanOutRatio(
      rows,
      'heap per idle websocket connection ≤ 0.4× socket.io',
      '@livedata websocket',
      'socket.io websocket',
      heap,
      0.4,
    ),
  ]
}

function latencyLines(rows: LatencyRow[]): Line[] {
  return ['@livedata websocket', '@livedata sse'].map((name) => {
    const row = rows.find((candidate) => candidate.name === name)
    const base = rows.find((candidate) => candidate.name === row?.baseline)
    const target = `latency p99 ${name.replace('@livedata ', '')} ≤ ${row?.baseline ?? 'raw'} + 1 ms`
    if (!row || !base || row.deltaP99 === undefined || !Number.isFinite(row.deltaP99))
      return { target, measured: 'not measured' }
    return {
      target,
      measured: `${row.deltaP99 >= 0 ? '+' : ''}${row.deltaP99.toFixed(2)} ms (p99 ${row.p99.toFixed(2)} vs ${base.p99.toFixed(2)} ms)`,
      met: row.deltaP99 <= 1,
    }
  })
}

function rendersLine(rows: RendersRow[] | null): Line {
  const target = 'React renders per burst of 1,000 messages ≤ 2'
  if (rows === null) return { target, measured: 'not measured (no Chromium)' }
  const measured = rows.filter((row) => !row.error && row.renders.length > 0)
  if (measured.length === 0) return { target, measured: 'not measured (failed)' }
  const most = (row: RendersRow) => Math.max(...row.renders)
  return {
    target,
    measured: rows.map((row) => `${row.transport} ${row.error ? 'failed' : most(row)}`).join(', '),
    met: measured.length === rows.length && all(measured.map((row) => most(row) <= 2)),
  }
}

function sizeLines(sizes: BundleSize[]): Line[] {
  const core = sizes.find((size) => size.entry.ours === 'core')
  const sse = sizes.find((size) => size.entry.ours === 'sse')
  const bindings = sizes.filter((size) => size.entry.onTopOfCore)
  const line = (target: string, size: BundleSize | undefined, limit: number): Line =>
    size
      ? { target, measured: kB(size.gzip), met: size.gzip <= limit }
      : { target, measured: 'not measured' }
  return [
    line('bundle core (every transport) ≤ 6 kB min+gz', core, 6000),
    line('bundle SSE-only app ≤ 3 kB min+gz', sse, 3000),
    {
      target: 'each binding ≤ 1 kB min+gz on top of the core',
      measured: bindings
        .map((size) => `${size.entry.library.replace(' (on top)', '')} ${kB(size.gzip)}`)
        .join(', '),
      met: bindings.length > 0 ? all(bindings.map((size) => size.gzip <= 1000)) : undefined,
    },
  ]
}

/**
 * Prints issue 13's targets for the sections in `results`: the figure this run measured and
 * `met` or `NOT MET`; prints nothing when none of them ran.
 *
 * @example
 * ```ts
 * printTargets({ throughput: await throughputSection() })
 * ```
 */
export function printTargets(results: SectionResults): void {
  const lines: Line[] = []
  if (results.throughput) lines.push(...throughputLines(results.throughput))
  if (results.fanOut) lines.push(...fanOutLines(results.fanOut))
  if (results.latency) lines.push(...latencyLines(results.latency))
  if (results.renders !== undefined) lines.push(rendersLine(results.renders))
  if (results.sizes) lines.push(...sizeLines(results.sizes))
  if (lines.length === 0) return
  console.log("\nIssue 13's targets, from this run:\n")
  printTable(
    ['target', 'measured', ''],
    lines.map(({ target, measured, met }) => [
      target,
      measured,
      met === undefined ? '—' : met ? 'met' : 'NOT MET',
    ]),
    new Set(),
  )
}
