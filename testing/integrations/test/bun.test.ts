import { describeServerConformance } from '@livedata/server-conformance'
import { startRuntime } from './helpers/runtime-process'

// @livedata/server on Bun 1.4 (from npm), in a Bun process started from fixtures/bun.ts, judged
// from Node by the server conformance suite.

const HTTP = ['sse', 'long-polling', 'polling', 'iframe'] as const

describeServerConformance(
  'Bun.serve({ fetch: live.fetch })',
  async () => {
    const bun = await startRuntime('bun', ['fixtures/bun.ts', '--fetch'])
    return { url: bun.origin, close: bun.stop }
  },
  { transports: HTTP },
)

describeServerConformance(
  'Bun.serve({ ...bunHandlers(live) })',
  async () => {
    const bun = await startRuntime('bun', ['fixtures/bun.ts'])
    return { url: bun.origin, close: bun.stop }
  },
  { transports: ['websocket', ...HTTP] },
)
