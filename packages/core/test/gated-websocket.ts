import { WebSocket as NodeWebSocket } from 'ws'

/**
 * A WebSocket a proxy refuses while `gate.blocked`: it dials a port where nothing listens, so it
 * fails at once, as an upgrade a proxy drops does. `gate.opened` counts the sockets let through.
 */
export function gatedWebSocket(): {
  gate: { blocked: boolean; opened: number }
  WebSocket: new (url: string) => NodeWebSocket
} {
  const gate = { blocked: true, opened: 0 }
  class Gated extends NodeWebSocket {
    constructor(url: string) {
      super(gate.blocked ? 'ws://127.0.0.1:9/live' : url)
      if (!gate.blocked) gate.opened++
    }
  }
  return { gate, WebSocket: Gated }
}
