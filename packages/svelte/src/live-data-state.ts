import type { LiveClient, LiveSnapshot, LiveSource, SourceOptions } from '@livedata/core'
import { createSubscriber } from 'svelte/reactivity'
import { getLiveClient } from './context'
import type { LiveDataFunction } from './live-data-function'

/**
 * What `liveData` from `@livedata/svelte/runes` returns: one channel's snapshot as a reactive
 * object (`prices.data`, `prices.status`, …) and the source's `send`. Each field is its own
 * signal: an effect or a template expression reading `status` re-runs when `status` changes,
 * not when `data` does. `T` is the data's type as the snapshot holds it (`| undefined` included
 * for a channel without `initialData`); `Send` types what `send` takes and `Ack` what it
 * resolves with.
 */
export type LiveDataState<T, Send = unknown, Ack = unknown> = LiveSnapshot<T> & {
  /** Sends on the channel; resolves when the server accepted the message. */
  readonly send: LiveSource<T, Send, Ack>['send']
}

// Every field of the snapshot; `satisfies` fails to compile when the core adds or drops one.
const fields = Object.keys({
  status: 0,
  data: 0,
  error: 0,
  transport: 0,
  lastEventId: 0,
  attempt: 0,
  gap: 0,
  tab: 0,
} satisfies Record<keyof LiveSnapshot<unknown>, 0>) as Array<keyof LiveSnapshot<unknown>>

/**
 * One channel's live snapshot as a reactive object for Svelte 5 runes: `prices.data`,
 * `prices.status`, `prices.error`, `prices.transport`, `prices.lastEventId`, `prices.attempt`,
 * `prices.gap`, `prices.tab`, and `prices.send(…)`. Reading a field in an effect or the template
 * connects the channel; when no effect reads it any more (the component is destroyed, an `{#if}`
 * closed) the connection is let go after the client's `disconnectDelay`. A read outside any
 * effect (an event handler, a plain function) gives the current value and connects nothing.
 * Every field re-runs only what read it, when it changed. During server rendering it gives
 * `initialData` with status `connecting`, and never connects.
 *
 * The client and the options are the store form's: during component initialisation the client
 * comes from `setLiveClient`; elsewhere pass it as the third argument. `options` are
 * `client.source`'s and apply when the client first creates the channel's source. Needs
 * Svelte 5.7 or later (`createSubscriber`).
 *
 * @example
 * ```svelte
 * <script lang="ts">
 *   import { liveData } from '@livedata/svelte/runes'
 *   const prices = liveData<Price[]>('prices', { initialData: [] })
 *   const count = $derived(prices.data.length)
 * </script>
 *
 * <p>{prices.status}: {count} prices</p>
 * <button onclick={() => prices.send({ type: 'ping' })}>ping</button>
 * ```
 */
export const liveData: LiveDataFunction<'state'> = <T, M, Send, Ack>(
  channel: string,
  options?: SourceOptions<T, M>,
  client: LiveClient = getLiveClient(),
): LiveDataState<T, Send, Ack> => {
  // The signatures of LiveDataFunction tie `T` to the options, as `client.source`'s do.
  const settings = options as SourceOptions<T, M> & { initialData: T }
  const source = client.source<T, M, Send, Ack>(channel, settings)
  // Server runtimes have no `window` (see live-data.ts); Svelte's server build of
  // createSubscriber does nothing, so a server render connects nothing either way.
  const snapshot =
    typeof window === 'undefined' ? () => source.getServerSnapshot() : () => source.getSnapshot()
  const state = { send: source.send }
  for (const field of fields) {
    // One subscriber per field: an effect that reads only `status` is not re-run by new data.
    // The source counts its listeners and shares one connection among them.
    const track = createSubscriber((update) => {
      let seen: unknown
      const stop = source.subscribe(() => {
        const next = source.getSnapshot()[field]
        if (next === seen) return
        seen = next
        update()
      })
      // After subscribing: that starts the connection, so the first read sees `connecting`.
      seen = source.getSnapshot()[field]
      return stop
    })
    Object.defineProperty(state, field, {
      enumerable: true,
      get() {
        track()
        return snapshot()[field]
      },
    })
  }
  return state as LiveDataState<T, Send, Ack>
}
