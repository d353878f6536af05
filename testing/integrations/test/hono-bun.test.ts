import { describeServerConformance } from '@livedata/server-conformance'
import { startRuntime } from './helpers/runtime-process'

// @livedata/server as routes of a Hono app on Bun (fixtures/hono-bun.ts), judged from Node by
// the server conformance suite.

const HTTP = ['sse', 'long-polling', 'polling', 'iframe'] as const

describeServerConformance(
  "Hono on Bun, app.all('/live/*', (c) => live.fetch(c.req.raw))",
  async () => {
    const bun = await startRuntime('bun', ['fixtures/hono-bun.ts', '--fetch'])
    return { url: bun.origin, close: bun.stop }
  },
  { transports: HTTP },
)

describeServerConformance(
  'Hono on Bun, bunHandlers(live) in the /live/* route',
  async () => {
    const bun = await startRuntime('bun', ['fixtures/hono-bun.ts'])
    return { url: bun.origin, close: bun.stop }
  },
  { transports: ['websocket', ...HTTP] },
)
