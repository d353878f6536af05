import { LiveDataError, type LiveSchema, type SourceOptions } from '@livedata/core'
import { useMemo, useRef, useSyncExternalStore } from 'react'
import { firstData } from './first-data'
import { useLiveClient } from './provider'
import { type LiveDataResult, useSource } from './use-live-data'

/**
 * Like `useLiveData`, but suspends until the channel has data, so `data` is never `undefined`:
 * the nearest `<Suspense>` shows its fallback until the first message (or `initialData`, which
 * counts as data: with it the hook never suspends). A final error before the first data (the
 * server's `authorize` refused the channel, `ERR_FORBIDDEN`; reconnect attempts exhausted) is
 * thrown to the nearest error boundary; passing errors (a dropped connection, a 503) keep the
 * fallback while the client reconnects. Past the first data it renders like `useLiveData`:
 * `status` and `error` say how the connection goes, and it never suspends again.
 *
 * - A channel changed inside `startTransition` keeps the old channel's data on screen until the
 *   new one has data.
 * - Server rendering shows `initialData`, and hydration starts from it. Without `initialData`
 *   there is nothing to render on the server: it throws `ERR_UNSUPPORTED` there, so the nearest
 *   `<Suspense>` sends its fallback in the HTML and the browser renders the rest (React reports
 *   that boundary to `onError` on the server and to `onRecoverableError` in the browser).
 * - After a refusal, `client.reconnect()` (after a login, say) and then resetting the error
 *   boundary waits for data again.
 *
 * `options` are `client.source`'s, as for `useLiveData`.
 *
 * @example
 * ```tsx
 * function Price() {
 *   const { data } = useSuspenseLiveData<Quote>('prices') // Quote, never undefined
 *   return <p>{data.symbol} {data.price}</p>
 * }
 *
 * <ErrorBoundary fallback={<p>Not allowed</p>}>
 *   <Suspense fallback={<p>Loading…</p>}>
 *     <Price />
 *   </Suspense>
 * </ErrorBoundary>
 * ```
 */
export function useSuspenseLiveData<T, _M = T, Send = unknown, Ack = unknown>(
  channel: string,
  options: SourceOptions<T, T> & { initialData: T; schema: LiveSchema<T>; reduce?: undefined },
): LiveDataResult<Exclude<T, undefined>, Send, Ack>
/** A channel with `initialData`: it is data, so the hook never suspends. */
export function useSuspenseLiveData<T, M = T, Send = unknown, Ack = unknown>(
  channel: string,
  options: SourceOptions<T, M> & { initialData: T },
): LiveDataResult<Exclude<T, undefined>, Send, Ack>
/** A channel whose `schema` gives its data type (no `reduce`). */
export function useSuspenseLiveData<T, _M = T, Send = unknown, Ack = unknown>(
  channel: string,
  options: SourceOptions<T | undefined, T> & { schema: LiveSchema<T>; reduce?: undefined },
): LiveDataResult<Exclude<T, undefined>, Send, Ack>
/** A channel without `initialData`: suspends until the first message. */
export function useSuspenseLiveData<T, M = T, Send = unknown, Ack = unknown>(
  channel: string,
  options?: SourceOptions<T | undefined, M>,
): LiveDataResult<Exclude<T, undefined>, Send, Ack>
export function useSuspenseLiveData<T, M, Send, Ack>(
  channel: string,
  options?: SourceOptions<T | undefined, M>,
): LiveDataResult<T, Send, Ack> {
  const client = useLiveClient()
  const source = useSource<T | undefined, M, Send, Ack>(channel, options)
  // On the server and while hydrating: `initialData`'s snapshot, or `null` when there is none.
  const snapshot = useSyncExternalStore(source.subscribe, source.getSnapshot, () => {
    const server = source.getServerSnapshot()
    return server.data === undefined ? null : server
  })
  // The data last rendered from this source: a gap that resets the data to nothing keeps it on
  // screen until the server's replay comes, rather than suspending again.
  const last = useRef<{ source: object; data: T } | null>(null)
  if (!snapshot) {
    throw new LiveDataError(
      'ERR_UNSUPPORTED',
      `useSuspenseLiveData("${channel}") has no data to render on the server: the nearest <Suspense> sends its fallback and the browser renders the rest. Give initialData to render it on the server.`,
      { retryable: false },
    )
  }
  const { data, status, error } = snapshot
  if (data !== undefined) last.current = { source, data }
  else if (last.current?.source !== source) {
    if (status === 'closed' && error) throw error
    if (client.closed) throw new LiveDataError('ERR_CLOSED', 'The client is closed')
    // A thrown promise, not React 19's `use()`: the same in React 18 and 19, and a test's
    // synchronous `render()` (an `act` scope) sees the fallback, then the data, where `use()`
    // holds the render back until an awaited `act` ends (see the README, "Suspense").
    throw firstData(source)
  }
  const shown = (last.current as { data: T }).data
  return useMemo(() => ({ ...snapshot, data: shown, send: source.send }), [snapshot, shown, source])
}
