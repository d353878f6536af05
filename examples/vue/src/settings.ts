import { createLiveClient, type LiveClient, type TransportName } from '@livedata/core'

// The same settings as the React and Svelte demos (examples/react/src/settings.ts): each demo
// keeps its own copy, so every app builds from its own files alone.

/** How the demo connects: every transport in preference order, or one forced. */
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
  return createLiveClient({
    url: '/live',
    transports: settings.mode === 'auto' ? AUTO : [settings.mode],
    ...(settings.blockWebSocket ? { WebSocket: BlockedWebSocket } : {}),
  })
}
