export type {
  LiveClient,
  LiveClientOptions,
  LiveDataErrorCode,
  LiveMessage,
  LiveSchema,
  LiveSnapshot,
  LiveSource,
  LiveStatus,
  SendOptions,
  SourceOptions,
  SourceOptionsWithInitialData,
  TabRole,
  TransportName,
} from '@livedata/core'
export { isLiveDataError, LiveDataError } from '@livedata/core'
export { createLiveData, liveClientKey, useLiveClient } from './plugin'
export { type AwaitableLiveDataResult, type LiveDataResult, useLiveData } from './use-live-data'
