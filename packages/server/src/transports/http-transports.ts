import type { ServerTransport } from '../hub'
import type { Serve } from './context'
import { serveIframe } from './iframe'
import { serveLongPoll, servePoll } from './poll'
import { serveSse } from './sse'

/** The transports served over plain HTTP requests: every one but WebSocket. */
export type HttpTransport = Exclude<ServerTransport, 'websocket'>

/** How each HTTP transport serves a request: one `serve(context)` shape for all. */
export const HTTP_TRANSPORTS: Readonly<Record<HttpTransport, Serve>> = {
  sse: serveSse,
  'long-polling': serveLongPoll,
  polling: servePoll,
  iframe: serveIframe,
}

/** Whether `name` is an HTTP transport. */
export function isHttpTransport(name: string): name is HttpTransport {
  return Object.hasOwn(HTTP_TRANSPORTS, name)
}
