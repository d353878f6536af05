export { createLiveServer } from './server'
export type {
  AuthorizeContext,
  LiveServer,
  LiveServerOptions,
  MessageContext,
  MessageListener,
  PublishOptions,
} from './server'
export { LiveServerError } from './errors'
export type { LiveServerErrorCode } from './errors'
export type { OriginOption } from './origin'
export { compareIds } from './ids'
