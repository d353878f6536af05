export { channelKeys } from './keys'
export type { LivePublisher, PublisherOptions, RedisCommander } from './publisher'
export { createPublisher } from './publisher'
