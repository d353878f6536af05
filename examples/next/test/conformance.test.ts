import { describeServerConformance } from '@livedata/server-conformance'
import { CONFORMANCE_TRANSPORTS } from '../conformance/fixture'
import { startNext } from './next-server'

// The server conformance suite through a Next.js route handler: `next start` of the demo's own
// build with LIVEDATA_CONFORMANCE=1, where proxy.ts rewrites /live and /control/* to the
// fixture's route handler (app/conformance/[...path]/route.ts), which calls live.fetch. Every
// transport a route handler can serve is judged; the WebSocket is not (no upgrade there).
describeServerConformance(
  'a Next.js route handler (next start)',
  async () => {
    // localhost: see proxy.ts (the rewrite stays internal, the Host the client sent is kept).
    const next = await startNext({ env: { LIVEDATA_CONFORMANCE: '1' }, host: 'localhost' })
    return { url: next.url, close: () => next.close() }
  },
  { transports: CONFORMANCE_TRANSPORTS },
)
