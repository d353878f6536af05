// @livedata/svelte/runes: the runes form of liveData for Svelte 5 (README, "The runes form").
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
export { type LiveDataState, liveData } from './live-data-state'
