import { conformanceEnabled } from '../../../conformance/enabled'
import { conformanceFixture } from '../../../conformance/fixture'

export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'

/**
 * The conformance fixture's control API (`/control/*`: publish, what was received, errors),
 * reached by proxy.ts's rewrite when `LIVEDATA_CONFORMANCE=1`; a 404 otherwise. The live routes
 * the suite judges are the demo's own (app/live/[[...path]]/route.ts).
 */
async function handle(request: Request): Promise<Response> {
  if (!conformanceEnabled()) return new Response(null, { status: 404 })
  return (await conformanceFixture().control(request)) ?? new Response(null, { status: 404 })
}

export {
  handle as DELETE,
  handle as GET,
  handle as HEAD,
  handle as OPTIONS,
  handle as PATCH,
  handle as POST,
  handle as PUT,
}
