import { liveServer } from '../../../lib/live'

// Every request reaches the handler (nothing is cached or prerendered), on Node.js: the live
// server keeps its channels and streams in this process's memory.
export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'

/** Server-Sent Events, long polling and polling at /live and /live/<channel>. */
export const GET = (request: Request): Promise<Response> => liveServer().fetch(request)
/** Sends (`POST /live/<channel>`). */
export const POST = GET
/** CORS preflights. */
export const OPTIONS = GET
