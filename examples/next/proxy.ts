import { type NextRequest, NextResponse } from 'next/server'
import { CONFORMANCE_PREFIX, conformanceEnabled } from './conformance/enabled'

/**
 * Only for the server conformance suite (examples/next/test/conformance.test.ts), which expects
 * the fixture's control API at `/control/*`: with `LIVEDATA_CONFORMANCE=1` it is rewritten to
 * app/conformance/[...path]/route.ts (the live routes the suite judges are the demo's own, which
 * then serve the fixture's live server). Otherwise every request goes on untouched. Not needed
 * in an app of yours.
 *
 * The rewrite stays inside the server (the handler sees the request's own URL and Host) only
 * when its origin is the one `next start` listens as: Next writes 127.0.0.1 as `localhost` in
 * `nextUrl`, so the conformance run starts it with `-H localhost`. Under `-H 127.0.0.1` Next
 * would proxy the request to itself over HTTP, and the handler would see `Host: localhost`.
 */
export function proxy(request: NextRequest): NextResponse {
  if (!conformanceEnabled()) return NextResponse.next()
  const url = request.nextUrl.clone()
  url.pathname = `${CONFORMANCE_PREFIX}${url.pathname}`
  return NextResponse.rewrite(url)
}

export const config = { matcher: ['/control/:path*'] }
