import type { LiveSchema, LiveSnapshot, LiveSource, SourceOptions } from '@livedata/core'
import {
  computed,
  getCurrentInstance,
  getCurrentScope,
  inject,
  type MaybeRefOrGetter,
  onMounted,
  onScopeDispose,
  type Ref,
  shallowRef,
  ssrContextKey,
  toValue,
  watch,
} from 'vue'
import { firstData } from './first-data'
import { useLiveClient } from './plugin'

/**
 * What {@link useLiveData} returns: one readonly ref per field of the source's snapshot, and
 * `send`. Each ref changes only when its own field does, so a template that shows `status`
 * does not render again for every message. `T` is the data's type as the snapshot holds it
 * (`| undefined` included for a channel without `initialData`); `Send` types what `send` takes
 * and `Ack` what it resolves with.
 */
export type LiveDataResult<T, Send = unknown, Ack = unknown> = {
  readonly [K in keyof LiveSnapshot<T>]: Readonly<Ref<LiveSnapshot<T>[K]>>
} & {
  /** Sends on the current channel; resolves when the server accepted the message. */
  send: LiveSource<T, Send, Ack>['send']
}

/**
 * What {@link useLiveData} returns: its {@link LiveDataResult}, which is also a thenable for an
 * `async setup()` under `<Suspense>`. Awaited, it waits for the first data and gives the same
 * refs with `data` never `undefined` (it keeps the last data it showed); it rejects with a final
 * error (see {@link useLiveData}). Nothing waits unless it is awaited.
 *
 * @example
 * ```ts
 * const live: AwaitableLiveDataResult<Quote | undefined> = useLiveData<Quote>('prices')
 * const { data } = await live // data: Readonly<Ref<Quote>>
 * ```
 */
export type AwaitableLiveDataResult<T, Send = unknown, Ack = unknown> = LiveDataResult<
  T,
  Send,
  Ack
> &
  PromiseLike<LiveDataResult<Exclude<T, undefined>, Send, Ack>>

/**
 * Subscribes to a channel and returns its snapshot as readonly refs (`data`, `status`, `error`,
 * `transport`, `lastEventId`, `attempt`, `gap`) and `send`. `channel` may be a ref or a getter:
 * when it changes, the old channel is let go and the new one subscribed. The first user of a
 * channel connects it; when the component (or effect scope) is disposed, it lets go. During
 * server rendering it returns `initialData` with status `connecting`, and never connects.
 *
 * `options` are `client.source`'s and apply when the client first creates the channel's source;
 * later calls for the same channel share that source. The types follow `client.source`: with
 * `initialData`, `data` is `T`; without, `T | undefined`; a `schema` (without `reduce`) gives
 * `T`; `Send` and `Ack` type `send`.
 *
 * **With `<Suspense>`**, `await useLiveData(…)` in an async `setup()` (or a `<script setup>` with
 * a top-level `await`) waits for the first data (`initialData` counts: it resolves at once) and
 * gives the same refs, with `data` never `undefined` (data gone back to `undefined` keeps the
 * last). A final error before the first data rejects it, so the nearest `onErrorCaptured` (or
 * `app.config.errorHandler`) gets it: the server's `authorize` refused the channel
 * (`ERR_HTTP_STATUS`, `serverCode` `ERR_FORBIDDEN`), reconnect attempts exhausted, a closed
 * client (`ERR_CLOSED`). Passing errors keep it waiting while the client reconnects. On the
 * server, without `initialData`, it rejects with `ERR_UNSUPPORTED` rather than wait for a
 * connection that a server render never opens.
 *
 * @example
 * ```vue
 * <script setup lang="ts">
 * const symbol = ref('AAPL')
 * const { data, status, send } = useLiveData<Price>(() => `prices.${symbol.value}`)
 * </script>
 * <template>
 *   <p @click="send({ type: 'ping' })">{{ status }}: {{ data?.price }}</p>
 * </template>
 * ```
 *
 * @example
 * ```vue
 * <!-- Price.vue, inside <Suspense> -->
 * <script setup lang="ts">
 * const { data } = await useLiveData<Price>('prices') // Readonly<Ref<Price>>
 * </script>
 * <template><p>{{ data.symbol }} {{ data.price }}</p></template>
 * ```
 */
export function useLiveData<T, _M = T, Send = unknown, Ack = unknown>(
  channel: MaybeRefOrGetter<string>,
  options: SourceOptions<T, T> & { initialData: T; schema: LiveSchema<T>; reduce?: undefined },
): AwaitableLiveDataResult<T, Send, Ack>
/** A channel with `initialData`: `data` is `T`, and so is `reduce`'s `previous`. */
export function useLiveData<T, M = T, Send = unknown, Ack = unknown>(
  channel: MaybeRefOrGetter<string>,
  options: SourceOptions<T, M> & { initialData: T },
): AwaitableLiveDataResult<T, Send, Ack>
/** A channel whose `schema` gives its data type (no `reduce`): `data` is its output or `undefined`. */
export function useLiveData<T, _M = T, Send = unknown, Ack = unknown>(
  channel: MaybeRefOrGetter<string>,
  options: SourceOptions<T | undefined, T> & { schema: LiveSchema<T>; reduce?: undefined },
): AwaitableLiveDataResult<T | undefined, Send, Ack>
/** A channel without `initialData`: `data` is `undefined` until the first message. */
export function useLiveData<T, M = T, Send = unknown, Ack = unknown>(
  channel: MaybeRefOrGetter<string>,
  options?: SourceOptions<T | undefined, M>,
): AwaitableLiveDataResult<T | undefined, Send, Ack>
export function useLiveData<T, M, Send, Ack>(
  channel: MaybeRefOrGetter<string>,
  options?: SourceOptions<T, M>,
): AwaitableLiveDataResult<T, Send, Ack> {
  const client = useLiveClient()
  // The overloads above tie `T` to the options, as `client.source`'s do.
  const settings = options as SourceOptions<T, M> & { initialData: T }
  // The client caches one source per channel, so this changes only when the channel does.
  const source = computed(() => client.source<T, M, Send, Ack>(toValue(channel), settings))
  const snapshot = shallowRef(source.value.getServerSnapshot())

  // Vue runs setup() during server rendering too, and an immediate watcher's callback with it,
  // but there is no unmount there to let go: subscribing would open a connection that outlives
  // the request. The server renderer provides its context under `ssrContextKey`, which tells us
  // we are on the server without touching any browser global. Unlike onMounted, this also works
  // in a bare effect scope (a Pinia store), and the first render already has the live snapshot.
  const server = !!inject(ssrContextKey, null)
  if (!server) {
    let unsubscribe = (): void => {}
    const instance = getCurrentInstance()
    watch(
      source,
      (current) => {
        unsubscribe()
        unsubscribe = current.subscribe(() => {
          snapshot.value = current.getSnapshot()
        })
        // A component's first render keeps the server's snapshot, so that hydrating server HTML
        // finds what the server rendered; the live one comes on mount, before the first paint.
        if (!instance || instance.isMounted) snapshot.value = current.getSnapshot()
      },
      { immediate: true },
    )
    if (instance) {
      onMounted(() => {
        snapshot.value = source.value.getSnapshot()
      })
    }
    if (getCurrentScope()) onScopeDispose(() => unsubscribe())
    else {
      console.warn(
        `useLiveData("${source.value.key}") was called outside setup() and any effect scope, so nothing will ever unsubscribe it and its connection stays open: call it inside setup() or effectScope().run().`,
      )
    }
  }

  const field = <K extends keyof LiveSnapshot<T>>(key: K) => computed(() => snapshot.value[key])
  const result: LiveDataResult<T, Send, Ack> = {
    data: field('data'),
    status: field('status'),
    error: field('error'),
    transport: field('transport'),
    tab: field('tab'),
    lastEventId: field('lastEventId'),
    attempt: field('attempt'),
    gap: field('gap'),
    send: (data, sendOptions) => source.value.send(data, sendOptions),
  }
  let ready: Promise<LiveDataResult<Exclude<T, undefined>, Send, Ack>> | undefined
  return {
    ...result,
    // Awaited (and only then) it waits for the first data; what it resolves with is no thenable.
    // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, for `await` in setup()
    then(onFulfilled, onRejected) {
      ready ??= firstData(snapshot, source, client, server).then(() => {
        // Data that goes back to undefined (a gap that resets it, a channel switched to one
        // with no data yet) keeps the last, as useSuspenseLiveData does in React.
        let kept: T
        const data = computed(() => {
          const next = snapshot.value.data
          if (next !== undefined) kept = next
          return kept
        })
        return { ...result, data } as LiveDataResult<Exclude<T, undefined>, Send, Ack>
      })
      return ready.then(onFulfilled, onRejected)
    },
  }
}
