import { statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { describeServerConformance } from '@livedata/server-conformance'
import { CONFORMANCE_TRANSPORTS } from '../conformance/fixture'
import { startNext } from './next-server'

const BUILD_ID = fileURLToPath(new URL('../.next/BUILD_ID', import.meta.url))
const FIXTURE = createRequire(import.meta.url).resolve('@livedata/server-conformance/fixture')

// The server conformance suite through a Next.js route handler: `next start` of the demo's own
// build with LIVEDATA_CONFORMANCE=1, where proxy.ts rewrites /live and /control/* to the
// fixture's route handler (app/conformance/[...path]/route.ts), which calls live.fetch. Every
// transport a route handler can serve is judged; the WebSocket is not (no upgrade there).
describeServerConformance(
  'a Next.js route handler (next start)',
  async () => {
    // The build bundles the fixture: one older than the fixture would judge by old rules.
    const built = statSync(BUILD_ID, { throwIfNoEntry: false })
    if (built && statSync(FIXTURE).mtimeMs > built.mtimeMs) {
      throw new Error(
        `examples/next was built before ${FIXTURE} last changed: run pnpm --filter @livedata/example-next build (pnpm test does).`,
      )
    }
    // localhost: see proxy.ts (the rewrite stays internal, the Host the client sent is kept).
    const next = await startNext({ env: { LIVEDATA_CONFORMANCE: '1' }, host: 'localhost' })
    return { url: next.url, close: () => next.close() }
  },
  { transports: CONFORMANCE_TRANSPORTS },
)
