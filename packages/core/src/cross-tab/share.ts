import type { LiveClient, TabRole, TransportDefinition } from '../types'
import { crossTabSupport, openBus, tabId } from './bus'
import { elect } from './election'
import { startRelay } from './relay'
import { tabTransport } from './tab-link'

/**
 * How long a leader may say nothing (its relay pings every second) before a follower takes over,
 * in ms (plus up to 1 s of jitter).
 */
const FROZEN = 5000

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
  // Versioned: tabs of an older build of the library (a deploy) do not talk to this one.
  const name = `livedata:v1:${new URL(url, page).href}`
  const bus = openBus(support, name)
  let leading: LiveClient | null = null
  const candidacy = elect(support.locks, name, () => {
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
      setRole('follower')
    }
  })
  // A leader that stops saying it is alive (a tab the browser froze keeps its lock) is taken
  // over: after FROZEN ms of silence, a following tab steals the lock.
  let silence: ReturnType<typeof setTimeout> | undefined
  const watch = (): void => {
    clearTimeout(silence)
    // Jittered, so that the followers of a frozen leader do not all steal at once.
    silence = setTimeout(
      () => {
        if (!leading) candidacy.takeOver()
        watch()
      },
      FROZEN + Math.random() * 1000,
    )
  }
  const stopWatching = bus.listen((message) => {
    if (message.t === 'ping' || message.t === 'leader') watch()
  })
  watch()
  const tab = tabId()
  // A page that goes says goodbye, so that the relay lets go of its channels at once.
  const goodbye = () => bus.post({ t: 'bye', tab })
  globalThis.addEventListener?.('pagehide', goodbye)
  return {
    transport: tabTransport(bus, tab),
    reconnect: () => leading?.reconnect(),
    close() {
      globalThis.removeEventListener?.('pagehide', goodbye)
      clearTimeout(silence)
      stopWatching()
      candidacy.resign()
      bus.close()
    },
  }
}
