// pnpm bench: throughput against what @livedata is built over (throughput.ts), then publish to
// delivery on one node and on several (several-nodes.ts), then bundle sizes beside other client
// libraries (bundle-sizes.ts), then fan-out to many connections and memory per connection
// (fan-out.ts). BENCH_SECTION=throughput, nodes, sizes or fanout runs one of them.
import { bundleSizesSection } from './bundle-sizes'
import { fanOutSection } from './fan-out'
import { severalNodesSection } from './several-nodes'
import { throughputSection } from './throughput'

const sections = ['throughput', 'nodes', 'sizes', 'fanout']
const section = process.env.BENCH_SECTION
if (section !== undefined && !sections.includes(section)) {
  console.error(`BENCH_SECTION must be throughput, nodes, sizes or fanout, got "${section}"`)
  process.exit(1)
}
const runs = (name: string) => section === undefined || section === name
if (runs('throughput')) await throughputSection()
if (runs('nodes')) await severalNodesSection()
if (runs('sizes')) await bundleSizesSection()
if (runs('fanout')) await fanOutSection()
process.exit(0)
