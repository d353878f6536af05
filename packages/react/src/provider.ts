import type { LiveClient } from '@livedata/core'
import { createContext, createElement, type ReactElement, type ReactNode, useContext } from 'react'

/** Props of {@link LiveDataProvider}. */
export interface LiveDataProviderProps {
  /** The client every `useLiveData` below shares; create it once, outside render. */
  client: LiveClient
  children?: ReactNode
}

const LiveClientContext = createContext<LiveClient | null>(null)

/**
 * Makes `client` available to `useLiveData`, `useSuspenseLiveData` and {@link useLiveClient}
 * below it.
 *
 * @example
 * ```tsx
 * const client = createLiveClient({ url: '/live' })
 * createRoot(root).render(
 *   <LiveDataProvider client={client}><App /></LiveDataProvider>,
 * )
 * ```
 */
export function LiveDataProvider({ client, children }: LiveDataProviderProps): ReactElement {
  return createElement(LiveClientContext.Provider, { value: client }, children)
}

/**
 * The client of the nearest {@link LiveDataProvider}. Throws when there is none.
 *
 * @example
 * ```tsx
 * const client = useLiveClient()
 * useEffect(() => client.source('audit').subscribe(() => {}), [client])
 * ```
 */
export function useLiveClient(): LiveClient {
  const client = useContext(LiveClientContext)
  if (!client) {
    throw new Error(
      'useLiveClient(), useLiveData() and useSuspenseLiveData() need a client: wrap the component tree in <LiveDataProvider client={createLiveClient({ url })}>.',
    )
  }
  return client
}
