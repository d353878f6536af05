import type { LiveClient, LiveSchema, SourceOptions } from '@livedata/core'
import type { LiveDataStore } from './live-data'
import type { LiveDataState } from './live-data-state'

/**
 * What each form of `liveData` returns, by form: `store` for `@livedata/svelte`'s,
 * `state` for `@livedata/svelte/runes`'. {@link LiveDataFunction} looks its return type up here.
 */
export interface LiveDataReturns<T, Send, Ack> {
  store: LiveDataStore<T, Send, Ack>
  state: LiveDataState<T, Send, Ack>
}

/**
 * The call signatures both forms of `liveData` share; `Form` picks what they return. They tie
 * `T` to the options as `client.source`'s do: with `initialData`, `data` is `T`; without,
 * `T | undefined`; a `schema` (without `reduce`) gives `T`; `Send` and `Ack` type `send`.
 *
 * @example
 * ```ts
 * const liveData: LiveDataFunction<'store'> = (channel, options, client = getLiveClient()) => …
 * ```
 */
export interface LiveDataFunction<Form extends keyof LiveDataReturns<unknown, unknown, unknown>> {
  /** A channel with `initialData` and a `schema` (no `reduce`): `data` is the schema's output. */
  <T, _M = T, Send = unknown, Ack = unknown>(
    channel: string,
    options: SourceOptions<T, T> & { initialData: T; schema: LiveSchema<T>; reduce?: undefined },
    client?: LiveClient,
  ): LiveDataReturns<T, Send, Ack>[Form]
  /** A channel with `initialData`: `data` is `T`, and so is `reduce`'s `previous`. */
  <T, M = T, Send = unknown, Ack = unknown>(
    channel: string,
    options: SourceOptions<T, M> & { initialData: T },
    client?: LiveClient,
  ): LiveDataReturns<T, Send, Ack>[Form]
  /** A channel whose `schema` gives its data type (no `reduce`): `data` is its output or `undefined`. */
  <T, _M = T, Send = unknown, Ack = unknown>(
    channel: string,
    options: SourceOptions<T | undefined, T> & { schema: LiveSchema<T>; reduce?: undefined },
    client?: LiveClient,
  ): LiveDataReturns<T | undefined, Send, Ack>[Form]
  /** A channel without `initialData`: `data` is `undefined` until the first message. */
  <T, M = T, Send = unknown, Ack = unknown>(
    channel: string,
    options?: SourceOptions<T | undefined, M>,
    client?: LiveClient,
  ): LiveDataReturns<T | undefined, Send, Ack>[Form]
}
