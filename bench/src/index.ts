// pnpm bench: throughput against what @livedata is built over (throughput.ts), then publish to
// delivery on one node and on several (several-nodes.ts). BENCH_SECTION=throughput or nodes
// runs one of them.
import { severalNodesSection } from './several-nodes'
import { throughputSection } from './throughput'

const section = process.env.BENCH_SECTION
if (section !== undefined && section !== 'throughput' && section !== 'nodes') {
  console.error(`BENCH_SECTION must be throughput or nodes, got "${section}"`)
  process.exit(1)
}
if (section !== 'nodes') await throughputSection()
if (section !== 'throughput') await severalNodesSection()
process.exit(0)
