import { createClientFactory } from './client'
import { iframe } from './transports/iframe'
import { longPolling, polling } from './transports/polling'
import { sse } from './transports/sse'
import { websocket } from './transports/websocket'

export { backoffDelay, DEFAULT_RECONNECT } from './backoff'
export type { LiveDataErrorCode, LiveDataErrorOptions } from './errors'
export { isLiveDataError, LiveDataError } from './errors'
export { compareIds } from './ids'
export type { InspectEvent, InspectEventType, InspectListener } from './inspector'
export type { LinkMember } from './link'
export { Link, LinkPool } from './link'
export { channelRefusal } from './server-error'
export type { ServerSentEvent, SseParser, SseParserCallbacks, SseParserOptions } from './sse-parser'
export { createSseParser } from './sse-parser'
export { iframe } from './transports/iframe'
export type { PollingSettings } from './transports/polling'
export { longPolling, polling, pollingTransport } from './transports/polling'
export type { LinkRequest } from './transports/request-link'
export { channelsUrl, RequestLink, requestLinkFor } from './transports/request-link'
export { sse } from './transports/sse'
export { websocket } from './transports/websocket'
export type * from './types'
export type { UpgradeOptions } from './upgrade-prober'

/**
 * Creates the client an app shares: it owns the connections, and `client.source(channel)`
 * gives the live value of one channel. Knows every built-in transport by name; for the smallest
 * bundle import `createLiveClient` from `@livedata/core/base` and pass transport objects.
 *
 * @example
 * ```ts
 * const client = createLiveClient({ url: 'http://localhost:3000/live' })
 * const prices = client.source<Price[]>('prices', { initialData: [] })
 * const stop = prices.subscribe(() => render(prices.getSnapshot().data))
 * ```
 */
export const createLiveClient = createClientFactory({
  websocket,
  sse,
  'long-polling': longPolling,
  polling,
  iframe,
})
