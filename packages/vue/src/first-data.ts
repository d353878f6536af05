import { type LiveClient, LiveDataError, type LiveSnapshot, type LiveSource } from '@livedata/core'
import { type Ref, watch } from 'vue'

/**
 * What `await useLiveData(…)` waits for: a promise that resolves once `shown` (the snapshot the
 * component renders) has data, `initialData` included, and rejects with a final error: the
 * source closed by one (the server's `authorize` refused the channel, reconnect attempts
 * exhausted), `ERR_CLOSED` for a closed client, `ERR_UNSUPPORTED` on the server without
 * `initialData` (a server render never connects, so it would wait forever). Passing errors (a
 * dropped connection, a 503) keep it waiting.
 *
 * It holds no subscription of its own: it watches the component's snapshot, which the
 * component's subscription feeds, so an unmount before the data lets the connection go. When the
 * source already has data that `shown` does not (another component's, before this one's first
 * notification), `shown` takes it, so the first render after the wait has it.
 *
 * @example
 * ```ts
 * await firstData(snapshot, source, client, !!inject(ssrContextKey, null))
 * snapshot.value.data // not undefined
 * ```
 */
export function firstData<T>(
  shown: Ref<LiveSnapshot<T>>,
  source: Readonly<Ref<Pick<LiveSource<T>, 'key' | 'getSnapshot'>>>,
  client: Pick<LiveClient, 'closed'>,
  server: boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let stop: (() => void) | undefined
    const check = (): void => {
      const live = source.value.getSnapshot()
      // The server renders `initialData` only: live data there would not match the browser's.
      if (shown.value.data === undefined && !server && live.data !== undefined) shown.value = live
      const error =
        shown.value.data !== undefined
          ? null
          : server
            ? new LiveDataError(
                'ERR_UNSUPPORTED',
                `await useLiveData("${source.value.key}") has no data on the server: give it initialData`,
                { retryable: false },
              )
            : client.closed
              ? new LiveDataError('ERR_CLOSED', 'The client is closed')
              : (live.status === 'closed' && live.error) || false
      if (error === false) {
        stop ??= watch(shown, check, { flush: 'sync' })
        return
      }
      stop?.()
      error ? reject(error) : resolve()
    }
    check()
  })
}
