import type {
  LiveClient,
  LiveSchema,
  LiveSnapshot,
  LiveSource,
  SourceOptions,
} from '@livedata/core'
import {
  computed,
  getCurrentInstance,
  getCurrentScope,
  hasInjectionContext,
  type InjectionKey,
  inject,
  type MaybeRefOrGetter,
  onMounted,
  onScopeDispose,
  type Plugin,
  type Ref,
  shallowRef,
  ssrContextKey,
  toValue,
  watch,
} from 'vue'

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

/** The key under which {@link createLiveData} provides the client, for `inject` or `provide`. */
export const liveClientKey: InjectionKey<LiveClient> = Symbol('@livedata/vue client')

/**
 * Creates the Vue plugin that makes `client` available to {@link useLiveData} and
 * {@link useLiveClient} in every component of the app.
 *
 * @example
 * ```ts
 * const client = createLiveClient({ url: '/live' })
 * createApp(App).use(createLiveData(client)).mount('#app')
 * ```
 */
export function createLiveData(client: LiveClient): Plugin {
  return { install: (app) => void app.provide(liveClientKey, client) }
}

/**
 * The client the app installed with {@link createLiveData}. Call it in `setup()` (or anywhere
 * `inject` works). Throws when there is none.
 *
 * @example
 * ```ts
 * const client = useLiveClient()
 * onScopeDispose(client.source('audit').subscribe(() => {}))
 * ```
 */
export function useLiveClient(): LiveClient {
  const client = hasInjectionContext() ? inject(liveClientKey, null) : null
  if (!client) {
    throw new Error(
      'useLiveClient() and useLiveData() need a client: install it with app.use(createLiveData(createLiveClient({ url }))) and call them inside setup().',
    )
  }
  return client
}

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
 */
export function useLiveData<T, _M = T, Send = unknown, Ack = unknown>(
  channel: MaybeRefOrGetter<string>,
  options: SourceOptions<T, T> & { initialData: T; schema: LiveSchema<T>; reduce?: undefined },
): LiveDataResult<T, Send, Ack>
/** A channel with `initialData`: `data` is `T`, and so is `reduce`'s `previous`. */
export function useLiveData<T, M = T, Send = unknown, Ack = unknown>(
  channel: MaybeRefOrGetter<string>,
  options: SourceOptions<T, M> & { initialData: T },
): LiveDataResult<T, Send, Ack>
/** A channel whose `schema` gives its data type (no `reduce`): `data` is its output or `undefined`. */
export function useLiveData<T, _M = T, Send = unknown, Ack = unknown>(
  channel: MaybeRefOrGetter<string>,
  options: SourceOptions<T | undefined, T> & { schema: LiveSchema<T>; reduce?: undefined },
): LiveDataResult<T | undefined, Send, Ack>
/** A channel without `initialData`: `data` is `undefined` until the first message. */
export function useLiveData<T, M = T, Send = unknown, Ack = unknown>(
  channel: MaybeRefOrGetter<string>,
  options?: SourceOptions<T | undefined, M>,
): LiveDataResult<T | undefined, Send, Ack>
export function useLiveData<T, M, Send, Ack>(
  channel: MaybeRefOrGetter<string>,
  options?: SourceOptions<T, M>,
): LiveDataResult<T, Send, Ack> {
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
  if (!inject(ssrContextKey, null)) {
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
  return {
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
}
