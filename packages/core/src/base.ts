import { createClientFactory } from './client'

export type { LiveDataErrorCode, LiveDataErrorOptions } from './errors'
export { isLiveDataError, LiveDataError } from './errors'
export type { InspectEvent, InspectEventType, InspectListener } from './inspector'
export type { LinkMember } from './link'
export { Link, LinkPool } from './link'
export { channelRefusal } from './server-error'
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
 * `createLiveClient` that knows no transport by name, so a bundle carries only the transports
 * the app imports and passes.
 *
 * @example
 * ```ts
 * import { createLiveClient, sse } from '@livedata/core/base'
 * const client = createLiveClient({ url: '/live', transports: [sse] })
 * ```
 */
export const createLiveClient = createClientFactory({})
