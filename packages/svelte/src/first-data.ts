import { LiveDataError } from '@livedata/core'
import { clients, type LiveDataStore } from './live-data'

/**
 * A promise of a {@link liveData} store's first data, for `{#await}`: it resolves with the first
 * `data` that is not `undefined` (`initialData` counts: it resolves at once), and rejects with a
 * final error: the server's `authorize` refused the channel (`ERR_HTTP_STATUS`, `serverCode`
 * `ERR_FORBIDDEN`), reconnect attempts exhausted, a closed client (`ERR_CLOSED`). Passing errors
 * (a dropped connection, a 503) keep it waiting while the client reconnects.
 *
 * It subscribes to the store, which connects the channel, and lets go once it settles: the
 * component's `$store` in the `{:then}` block takes over within the client's `disconnectDelay`,
 * on the same connection. Each call is a new wait, and a call after a refusal tries the channel
 * again. During server rendering it resolves with `initialData`, and without it rejects with
 * `ERR_UNSUPPORTED` (a server render never connects; Svelte renders the pending block there).
 *
 * @example
 * ```svelte
 * <script lang="ts">
 *   import { firstData, liveData } from '@livedata/svelte'
 *   const price = liveData<Quote>('price')
 * </script>
 *
 * {#await firstData(price)}
 *   <p>Loading…</p>
 * {:then}
 *   <p>{$price.data?.symbol} {$price.data?.price}</p>
 * {:catch error}
 *   <p role="alert">{error.code}</p>
 * {/await}
 * ```
 */
export function firstData<T, Send, Ack>(
  store: LiveDataStore<T, Send, Ack>,
): Promise<Exclude<T, undefined>> {
  return new Promise((resolve, reject) => {
    let done = false
    let unsubscribe: (() => void) | undefined
    // Svelte's store contract calls back at once, before `subscribe` has returned.
    unsubscribe = store.subscribe(({ data, status, error }) => {
      if (done) return
      const final =
        data !== undefined
          ? null
          : typeof window === 'undefined'
            ? new LiveDataError(
                'ERR_UNSUPPORTED',
                'firstData() has no data on the server: give the store initialData',
                { retryable: false },
              )
            : clients.get(store)?.closed
              ? new LiveDataError('ERR_CLOSED', 'The client is closed')
              : (status === 'closed' && error) || false
      if (final === false) return
      done = true
      final ? reject(final) : resolve(data as Exclude<T, undefined>)
      unsubscribe?.()
    })
    if (done) unsubscribe()
  })
}
