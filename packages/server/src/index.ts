export type { ChannelOptions, ChannelsOption } from './channel-options'
export type { LiveServerErrorCode } from './errors'
export { LiveServerError } from './errors'
export type { HeaderMap } from './headers'
export type { HostOption } from './hosts'
export type { IdempotencyStore, MemoryIdempotencyOptions } from './idempotency-store'
export { createMemoryIdempotencyStore, isIdempotencyKey } from './idempotency-store'
export { compareIds } from './ids'
export type { OriginOption } from './origin'
export type { ConsoleReporterOptions, ErrorContext, ErrorHandler } from './report'
export { consoleReporter } from './report'
export type {
  AttachOptions,
  AuthorizeContext,
  BackplaneOptions,
  ChannelSnapshot,
  LiveHealth,
  LiveServer,
  LiveServerOptions,
  MessageContext,
  MessageListener,
  PublishOptions,
  RequestTransport,
  ServerTransport,
} from './server'
export { createLiveServer } from './server'
