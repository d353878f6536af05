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
export { getLiveClient, setLiveClient } from './context'
export { firstData } from './first-data'
export { type LiveDataStore, liveData } from './live-data'
