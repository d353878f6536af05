import { conformanceEnabled } from '../../../conformance/enabled'
import { conformanceFixture } from '../../../conformance/fixture'
import { liveServer } from '../../../lib/live'

// Every request reaches the handler (nothing is cached or prerendered), on Node.js: the live
// server keeps its channels and streams in this process's memory.
export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'

/**
 * Server-Sent Events, long polling and polling (GET), sends (POST) and CORS preflights
 * (OPTIONS) at /live and /live/<channel>. The other methods are handed over too, so that they
 * get the protocol's 405 (JSON, with `Allow`) rather than Next's bare one.
 */
const handle = (request: Request): Promise<Response> => server().fetch(request)

/**
 * The demo's live server; under the server conformance suite (`LIVEDATA_CONFORMANCE=1`, tests
 * only) the fixture's, so that the suite judges this very route. Your app needs only the first.
 */
const server = () => (conformanceEnabled() ? conformanceFixture().live : liveServer())

export {
  handle as DELETE,
  handle as GET,
  handle as HEAD,
  handle as OPTIONS,
  handle as PATCH,
  handle as POST,
  handle as PUT,
}
