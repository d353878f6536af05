import type { LiveClient } from '@livedata/core'
import { getContext, setContext } from 'svelte'

// Private: only setLiveClient and getLiveClient reach the context entry.
const CLIENT = Symbol('@livedata/svelte client')

/**
 * Makes `client` available to {@link liveData} and {@link getLiveClient} in this component and
 * every component below it. Call it during component initialisation (in `<script>`), like
 * Svelte's `setContext`. Returns the client.
 *
 * @example
 * ```svelte
 * <!-- App.svelte -->
 * <script>
 *   import { createLiveClient } from '@livedata/core'
 *   import { setLiveClient } from '@livedata/svelte'
 *   setLiveClient(createLiveClient({ url: '/live' }))
 * </script>
 * ```
 */
export function setLiveClient(client: LiveClient): LiveClient {
  return setContext(CLIENT, client)
}

/**
 * The client a parent component gave {@link setLiveClient}. Call it during component
 * initialisation; throws when no parent set a client.
 *
 * @example
 * ```svelte
 * <script>
 *   import { getLiveClient } from '@livedata/svelte'
 *   const audit = getLiveClient().source('audit')
 * </script>
 * ```
 */
export function getLiveClient(): LiveClient {
  let client: LiveClient | undefined
  try {
    client = getContext(CLIENT)
  } catch {
    // Svelte throws outside component initialisation; the sentence below says what to do.
  }
  if (!client) {
    throw new Error(
      'getLiveClient() and liveData() need a client: call setLiveClient(createLiveClient({ url })) in a parent component, or outside components pass it as liveData(channel, options, client).',
    )
  }
  return client
}
