'use client'

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
export { LiveDataProvider, type LiveDataProviderProps, useLiveClient } from './provider'
export { type LiveDataResult, useLiveData } from './use-live-data'
export { useSuspenseLiveData } from './use-suspense-live-data'
