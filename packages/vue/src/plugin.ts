import type { LiveClient } from '@livedata/core'
import { hasInjectionContext, type InjectionKey, inject, type Plugin } from 'vue'

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
