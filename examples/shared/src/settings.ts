import {
  createLiveClient,
  type LiveClient,
  type SendOptions,
  type SourceOptions,
  type TransportName,
} from '@livedata/core'
import { socketIoTransport } from '@livedata/socket.io'

// The settings of every demo app (React, Vue, Svelte): the same picker, query string and client.

/**
 * How the demo connects: every transport of /live in preference order, or one forced; or
 * `socket.io`, the same ticker from the demo's socket.io server instead of /live.
 */
export type TransportMode = 'auto' | TransportName

/** The demo's connection settings, kept in the page's query string so a link reproduces them. */
export interface DemoSettings {
  mode: TransportMode
  /** Refuse WebSocket as a proxy that breaks upgrades would, to watch the fallback. */
  blockWebSocket: boolean
}

export const MODES: readonly TransportMode[] = [
  'auto',
  'websocket',
  'sse',
  'long-polling',
  'polling',
  'iframe',
  'socket.io',
]

const AUTO: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling']

/** Reads the settings from `?transport=…&block=websocket`. */
export function readSettings(search = location.search): DemoSettings {
  const query = new URLSearchParams(search)
  const mode = query.get('transport') as TransportMode | null
  return {
    mode: mode && MODES.includes(mode) ? mode : 'auto',
    blockWebSocket: query.get('block') === 'websocket',
  }
}

/** Writes the settings to the address bar without reloading. */
export function writeSettings(settings: DemoSettings): void {
  const query = new URLSearchParams(location.search)
  if (settings.mode === 'auto') query.delete('transport')
  else query.set('transport', settings.mode)
  if (settings.blockWebSocket) query.set('block', 'websocket')
  else query.delete('block')
  const search = query.toString()
  history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}`)
}

/** A WebSocket that can never open: what the page sees behind a proxy that refuses upgrades. */
class BlockedWebSocket {
  constructor() {
    throw new Error('WebSocket is blocked (the demo switch)')
  }
}

/** The client for these settings. Relative URL: the demo server answers /live on this origin. */
export function createDemoClient(settings: DemoSettings): LiveClient {
  const { mode, blockWebSocket } = settings
  return createLiveClient({
    url: '/live',
    // socket.io is no transport of /live: the prices source names it (see pricesEndpoint).
    transports: mode === 'auto' || mode === 'socket.io' ? AUTO : [mode],
    // Blocked, socket.io stays on its long polling, as behind a proxy that breaks its upgrade.
    // Pings wait for the socket.io server's acknowledgement; other events would not.
    register: [
      socketIoTransport({
        ack: (event) => event === 'ping',
        ...(blockWebSocket ? { transports: ['polling'] } : {}),
      }),
    ],
    ...(blockWebSocket ? { WebSocket: BlockedWebSocket } : {}),
    // The tabs of this browser share one connection, shown as leader/follower per tab. Only in
    // the default settings: a tab forced onto a transport (or blocked) keeps its own.
    crossTab: mode === 'auto' && !blockWebSocket,
  })
}

/** Where the dashboard's prices come from under some settings, and how its ping goes out. */
export interface PricesEndpoint {
  /** Merged into the `prices` source's options: nothing for /live's channel. */
  source: Pick<SourceOptions<unknown>, 'url' | 'transport' | 'event'>
  /** The ping's send options. */
  ping: SendOptions
}

/**
 * The `prices` channel of /live, or in `socket.io` mode the socket.io server on this origin: its
 * `prices` event, and pings as `ping` events, which it acknowledges.
 */
export function pricesEndpoint(settings: DemoSettings): PricesEndpoint {
  if (settings.mode !== 'socket.io') return { source: {}, ping: {} }
  return {
    source: { url: location.origin, transport: 'socket.io', event: 'prices' },
    ping: { event: 'ping' },
  }
}
