import type { LiveClient, TabRole, TransportDefinition } from '../types'
import { crossTabSupport, openBus, tabId } from './bus'
import { electLeader } from './election'
import { startRelay } from './relay'
import { tabTransport } from './tab-link'

/** A client's share of the connection its browser's tabs hold together. */
export interface SharedConnection {
  /** The transport every channel of this client rides: the leading tab's relay. */
  readonly transport: TransportDefinition
  /** `client.reconnect()`: the relay (when this tab leads) connects again, with new credentials. */
  reconnect(): void
  close(): void
}

/**
 * Joins the tabs of this browser that use `url` (docs/decisions/cross-tab.md): this client's
 * channels ride the leading tab's connection, and this tab asks to lead, serving the others
 * through a relay on a client `relayClient()` makes once it does. `null` where Web Locks or
 * BroadcastChannel are missing: the client keeps its own connection.
 *
 * @example
 * ```ts
 * const shared = shareAcrossTabs('/live', () => createLiveClient({ url: '/live' }), setRole)
 * ```
 */
export function shareAcrossTabs(
  url: string,
  relayClient: () => LiveClient,
  setRole: (role: TabRole) => void,
): SharedConnection | null {
  const support = crossTabSupport()
  if (!support) return null
  const page = (globalThis as { location?: { href: string } }).location?.href
  const name = `livedata:${new URL(url, page).href}`
  const bus = openBus(support, name)
  let leading: LiveClient | null = null
  const resign = electLeader(support.locks, name, () => {
    leading = relayClient()
    // The relay listens on a channel object of its own: this tab's sources reach it the same
    // way the other tabs' do.
    const relayBus = openBus(support, name)
    const relay = startRelay(relayBus, leading)
    setRole('leader')
    return () => {
      relay.close()
      relayBus.close()
      leading = null
    }
  })
  return {
    transport: tabTransport(bus, tabId()),
    reconnect: () => leading?.reconnect(),
    close() {
      resign()
      bus.close()
    },
  }
}
