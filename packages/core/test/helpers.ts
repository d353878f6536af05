import type {
  LiveEnvironment,
  TransportContext,
  TransportDefinition,
  TransportHandlers,
} from '../src/types'

/** One connection opened through a {@link scriptedTransport}. */
export interface ScriptedConnection {
  context: TransportContext
  handlers: TransportHandlers
  closed: boolean
}

/**
 * A transport driven by the test: each connect is recorded, and the test decides when it
 * opens, what it delivers and how it ends. For timing logic only; anything that crosses the
 * network is tested against a real server.
 */
export function scriptedTransport(name: TransportDefinition['name'] = 'sse') {
  const connections: ScriptedConnection[] = []
  const definition: TransportDefinition = {
    name,
    connect(context, handlers) {
      const connection: ScriptedConnection = { context, handlers, closed: false }
      connections.push(connection)
      return {
        close() {
          connection.closed = true
        },
      }
    },
  }
  return {
    definition,
    connections,
    last(): ScriptedConnection {
      const connection = connections.at(-1)
      if (!connection) throw new Error('no connection was opened')
      return connection
    },
  }
}

/** An environment whose online and visibility state the test sets. */
export function fakeEnvironment() {
  let online = true
  let visible = true
  const listeners = new Set<() => void>()
  const environment: LiveEnvironment = {
    isOnline: () => online,
    isVisible: () => visible,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
  return {
    environment,
    /** How many listeners are subscribed (the connection's, and a parked poll loop's). */
    listeners: () => listeners.size,
    set(state: { online?: boolean; visible?: boolean }) {
      online = state.online ?? online
      visible = state.visible ?? visible
      for (const listener of listeners) listener()
    },
  }
}
