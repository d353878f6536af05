// pnpm bench: throughput against what @livedata is built over (throughput.ts), latency at a
// steady rate beside the raw transports (steady-latency.ts), publish to delivery on one node and
// on several (several-nodes.ts), bundle sizes beside other client libraries (bundle-sizes.ts),
// React renders per burst in Chromium (renders.ts), fan-out to many connections and memory per
// connection (fan-out.ts), then issue 13's targets from what ran (targets.ts).
// BENCH_SECTION=throughput, latency, nodes, sizes, renders or fanout runs one of them.
import { bundleSizesSection } from './bundle-sizes'
import { fanOutSection } from './fan-out'
import { rendersSection } from './renders'
import { severalNodesSection } from './several-nodes'
import { latencySection } from './steady-latency'
import { printTargets, type SectionResults } from './targets'
import { throughputSection } from './throughput'

const sections = ['throughput', 'latency', 'nodes', 'sizes', 'renders', 'fanout']
const section = process.env.BENCH_SECTION
if (section !== undefined && !sections.includes(section)) {
  console.error(`BENCH_SECTION must be one of ${sections.join(', ')}, got "${section}"`)
  process.exit(1)
}
const started = performance.now()
const runs = (name: string) => section === undefined || section === name
const results: SectionResults = {}
if (runs('throughput')) results.throughput = await throughputSection()
if (runs('latency')) results.latency = await latencySection()
if (runs('nodes')) await severalNodesSection()
if (runs('sizes')) results.sizes = await bundleSizesSection()
if (runs('renders')) results.renders = await rendersSection()
if (runs('fanout')) results.fanOut = await fanOutSection()
printTargets(results)
console.log(`\nThe bench took ${((performance.now() - started) / 1000).toFixed(0)} s.`)
process.exit(0)
