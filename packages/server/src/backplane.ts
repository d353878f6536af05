// @livedata/server/backplane: what a backplane package (@livedata/redis) builds on. The
// Backplane interface itself comes with issue 12's server side (docs/decisions/scale-out.md).

export type { LiveServerErrorCode } from './errors'
export { LiveServerError } from './errors'
export type { PreparedMessage, PublishOptions } from './message'
export { prepareMessage } from './message'
