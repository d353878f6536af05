import type { LiveClient, LiveSnapshot, LiveSource, SourceOptions } from '@livedata/core'
import { getLiveClient } from './context'
import type { LiveDataFunction } from './live-data-function'

/**
 * What {@link liveData} returns: a readable Svelte store of the source's snapshot (`$prices.data`,
 * `$prices.status`, …) and the source's `send`. `T` is the data's type as the snapshot holds it
 * (`| undefined` included for a channel without `initialData`); `Send` types what `send` takes
 * and `Ack` what it resolves with.
 */
export interface LiveDataStore<T, Send = unknown, Ack = unknown> {
  /**
   * The Svelte store contract: calls `run` at once with the current snapshot, then after every
   * change, and returns the function that stops it. The first subscriber connects the channel;
   * the last one to stop lets it go.
   */
  subscribe: (run: (snapshot: LiveSnapshot<T>) => void) => () => void
  /** Sends on the channel; resolves when the server accepted the message. */
  send: LiveSource<T, Send, Ack>['send']
}

// Each store's client, for firstData to tell a closed client (whose sources never connect).
export const clients: WeakMap<object, LiveClient> = new WeakMap()

/**
 * A readable store of one channel's snapshot (`data`, `status`, `error`, `transport`,
 * `lastEventId`, `attempt`, `gap`), with `send`. The first subscriber (a component reading
 * `$store`) connects the channel; when the last one unmounts the connection is let go. During
 * server rendering the store gives `initialData` with status `connecting`, and never connects.
 *
 * During component initialisation the client comes from {@link setLiveClient}; elsewhere (a
 * module, a test) pass it as the third argument. `options` are `client.source`'s and apply when
 * the client first creates the channel's source; later calls for the same channel share that
 * source. The types follow `client.source`: with `initialData`, `data` is `T`; without,
 * `T | undefined`; a `schema` (without `reduce`) gives `T`; `Send` and `Ack` type `send`.
 *
 * @example
 * ```svelte
 * <script lang="ts">
 *   import { liveData } from '@livedata/svelte'
 *   const prices = liveData<Price[]>('prices', { initialData: [] })
 * </script>
 *
 * <p>{$prices.status}: {$prices.data.length} prices</p>
 * <button onclick={() => prices.send({ type: 'ping' })}>ping</button>
 * ```
 */
export const liveData: LiveDataFunction<'store'> = <T, M, Send, Ack>(
  channel: string,
  options?: SourceOptions<T, M>,
  client: LiveClient = getLiveClient(),
): LiveDataStore<T, Send, Ack> => {
  // The signatures of LiveDataFunction tie `T` to the options, as `client.source`'s do.
  const settings = options as SourceOptions<T, M> & { initialData: T }
  const source = client.source<T, M, Send, Ack>(channel, settings)
  const store: LiveDataStore<T, Send, Ack> = {
    subscribe(run) {
      // Server rendering subscribes to `$store` once and unsubscribes at the end of the render,
      // which would open a connection for nothing. Server runtimes (Node, Deno, Bun, edge
      // workers) have no `window`, whatever the Svelte version; a bundler condition (esm-env)
      // would need a dependency and a build that sets it, this check needs neither.
      if (typeof window === 'undefined') {
        run(source.getServerSnapshot())
        return () => {}
      }
      let last: LiveSnapshot<T>
      // Subscribe first: it starts the connection, so `run` sees `connecting`, not `closed`.
      const unsubscribe = source.subscribe(() => {
        const next = source.getSnapshot()
        // A listener added while a notification was pending hears of a change `run` has seen.
        if (next === last) return
        last = next
        run(next)
      })
      last = source.getSnapshot()
      run(last)
      return unsubscribe
    },
    send: source.send,
  }
  clients.set(store, client)
  return store
}
