import type { LiveSchema, LiveSnapshot, LiveSource, SourceOptions } from '@livedata/core'
import { useMemo, useSyncExternalStore } from 'react'
import { useLiveClient } from './provider'

/**
 * What {@link useLiveData} returns: the source's snapshot and its `send`. `T` is the data's type
 * as the snapshot holds it (`| undefined` included for a channel without `initialData`); `Send`
 * types what `send` takes and `Ack` what it resolves with.
 */
export type LiveDataResult<T, Send = unknown, Ack = unknown> = LiveSnapshot<T> & {
  /** Sends on the channel; resolves when the server accepted the message. */
  send: LiveSource<T, Send, Ack>['send']
}

/**
 * The provider's source for `channel`, made once per client and channel: the client keeps one
 * source per channel and ignores later options anyway.
 */
export function useSource<T, M, Send, Ack>(
  channel: string,
  options: SourceOptions<T, M> | undefined,
): LiveSource<T, Send, Ack> {
  const client = useLiveClient()
  // The overloads of the hooks tie `T` to the options, as `client.source`'s do.
  const settings = options as SourceOptions<T, M> & { initialData: T }
  // biome-ignore lint/correctness/useExhaustiveDependencies: the client keeps one source per channel, so new options would be ignored anyway.
  return useMemo(() => client.source<T, M, Send, Ack>(channel, settings), [client, channel])
}

/**
 * Subscribes the component to a channel and returns its snapshot (`data`, `status`, `error`,
 * `transport`, `lastEventId`, `attempt`, `gap`) and `send`. The first component to use a channel
 * connects it; the last one to unmount lets it go. During server rendering it returns
 * `initialData` with status `connecting`, and never connects.
 *
 * `options` are `client.source`'s and apply when the client first creates the channel's source;
 * later calls for the same channel share that source. The types follow `client.source`: with
 * `initialData`, `data` is `T`; without, `T | undefined`; a `schema` (without `reduce`) gives
 * `T`; `Send` and `Ack` type `send`.
 *
 * @example
 * ```tsx
 * function Ticker() {
 *   const { data, status, send } = useLiveData<Price[]>('prices', { initialData: [] })
 *   return <p onClick={() => send({ type: 'ping' })}>{status}: {data.length} prices</p>
 * }
 * ```
 */
export function useLiveData<T, _M = T, Send = unknown, Ack = unknown>(
  channel: string,
  options: SourceOptions<T, T> & { initialData: T; schema: LiveSchema<T>; reduce?: undefined },
): LiveDataResult<T, Send, Ack>
/** A channel with `initialData`: `data` is `T`, and so is `reduce`'s `previous`. */
export function useLiveData<T, M = T, Send = unknown, Ack = unknown>(
  channel: string,
  options: SourceOptions<T, M> & { initialData: T },
): LiveDataResult<T, Send, Ack>
/** A channel whose `schema` gives its data type (no `reduce`): `data` is its output or `undefined`. */
export function useLiveData<T, _M = T, Send = unknown, Ack = unknown>(
  channel: string,
  options: SourceOptions<T | undefined, T> & { schema: LiveSchema<T>; reduce?: undefined },
): LiveDataResult<T | undefined, Send, Ack>
/** A channel without `initialData`: `data` is `undefined` until the first message. */
export function useLiveData<T, M = T, Send = unknown, Ack = unknown>(
  channel: string,
  options?: SourceOptions<T | undefined, M>,
): LiveDataResult<T | undefined, Send, Ack>
export function useLiveData<T, M, Send, Ack>(
  channel: string,
  options?: SourceOptions<T, M>,
): LiveDataResult<T, Send, Ack> {
  const source = useSource<T, M, Send, Ack>(channel, options)
  const snapshot = useSyncExternalStore(
    source.subscribe,
    source.getSnapshot,
    source.getServerSnapshot,
  )
  return useMemo(() => ({ ...snapshot, send: source.send }), [snapshot, source])
}
