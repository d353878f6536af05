import { conformanceEnabled } from '../../../conformance/enabled'
import { conformanceFixture } from '../../../conformance/fixture'

export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'

/**
 * The conformance fixture through a route handler, reached by proxy.ts's rewrite of `/live` and
 * `/control/*` when `LIVEDATA_CONFORMANCE=1`; a 404 otherwise. The rewrite is internal, so the
 * request keeps its URL and Host, and the fixture's live server gets it through `live.fetch`
 * exactly as the demo's route serves its own.
 */
async function handle(request: Request): Promise<Response> {
  if (!conformanceEnabled()) return new Response(null, { status: 404 })
  const { live, control } = conformanceFixture()
  return (await control(request)) ?? live.fetch(request)
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
