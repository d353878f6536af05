export type { LiveServerErrorCode } from './errors'
export { LiveServerError } from './errors'
export { compareIds } from './ids'
export type { OriginOption } from './origin'
export type {
  AuthorizeContext,
  LiveServer,
  LiveServerOptions,
  MessageContext,
  MessageListener,
  PublishOptions,
  ServerTransport,
} from './server'
export { createLiveServer } from './server'
