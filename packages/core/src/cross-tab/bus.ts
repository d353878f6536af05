import { LiveDataError } from '../errors'
import type { LiveStatus, TransportMessage, TransportName } from '../types'

/** What the browser must have for tabs to share a connection. */
export interface CrossTabSupport {
  locks: LockManager
  BroadcastChannel: typeof BroadcastChannel
}

/**
 * Web Locks and BroadcastChannel, if this environment has both; `null` otherwise (Node, old
 * browsers, some in-app webviews), where `crossTab` quietly means one connection per client.
 *
 * @example
 * ```ts
 * const support = crossTabSupport() // null in Node
 * ```
 */
export function crossTabSupport(): CrossTabSupport | null {
  const g = globalThis as {
    navigator?: { locks?: LockManager }
    BroadcastChannel?: typeof BroadcastChannel
    document?: unknown
  }
  const locks = g.navigator?.locks
  // A page only: Node has Web Locks and BroadcastChannel too (v24.5), where clients made per
  // request for different users must never share a connection.
  if (g.document === undefined) return null
  if (typeof locks?.request !== 'function' || typeof g.BroadcastChannel !== 'function') return null
  return { locks, BroadcastChannel: g.BroadcastChannel }
}

/** An error as it crosses tabs (a structured clone keeps no class). */
export interface WireErrorShape {
  code: string
  message: string
  status?: number
  serverCode?: string
  retryable: boolean
}

/** What the tabs and the relay say to each other (docs/decisions/cross-tab.md). */
export type TabMessage =
  /** A tab asks who leads; the relay answers `leader`. */
  | { t: 'hello' }
  | { t: 'leader'; id: string }
  | { t: 'ping'; id: string }
  /** A tab's answer to a ping: it is still there. */
  | { t: 'here'; tab: string }
  /** The relay does not know that tab (it forgot it, or the page came back from the cache). */
  | { t: 'rejoin'; tab: string }
  | { t: 'join'; tab: string; channel: string; cursor: string | null; replay?: number }
  | { t: 'leave'; tab: string; channel: string }
  /** A tab's client let go of everything. */
  | { t: 'bye'; tab: string }
  | {
      t: 'send'
      tab: string
      ref: number
      channel: string
      data: unknown
      event?: string
      /** The send's idempotency key, made by the tab that sends. */
      key?: string
    }
  | { t: 'ack'; tab: string; ref: number; error?: WireErrorShape; value?: unknown }
  | {
      t: 'state'
      channel: string
      status: LiveStatus
      transport: TransportName | null
      error: WireErrorShape | null
      /** For one tab (the answer to its join), or for every tab without it. */
      tab?: string
    }
  | { t: 'msg'; channel: string; m: TransportMessage }
  /** Where a channel stands; for one tab (a fresh join), or for every tab without `tab`. */
  | { t: 'cursor'; channel: string; id: string; tab?: string }
  | { t: 'gap'; channel: string; replay?: boolean }

/** One BroadcastChannel object: it hears every other object of the same name, in any tab. */
export interface TabBus {
  post(message: TabMessage): void
  listen(listener: (message: TabMessage) => void): () => void
  close(): void
}

/**
 * Opens the BroadcastChannel `name` as a bus of {@link TabMessage}s.
 *
 * @example
 * ```ts
 * const bus = openBus(support, 'livedata:https://app.example/live')
 * bus.post({ t: 'hello' })
 * ```
 */
export function openBus(support: CrossTabSupport, name: string): TabBus {
  const channel = new support.BroadcastChannel(name)
  const listeners = new Set<(message: TabMessage) => void>()
  let closed = false
  channel.onmessage = (event: MessageEvent) => {
    const message = event.data as TabMessage | null
    if (typeof message?.t !== 'string') return
    for (const listener of [...listeners]) listener(message)
  }
  return {
    // A closed channel throws on post: what its owner says while closing goes nowhere.
    post: (message) => {
      if (!closed) channel.postMessage(message)
    },
    listen(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    close() {
      closed = true
      listeners.clear()
      channel.close()
    },
  }
}

/**
 * An error as it crosses tabs, and back.
 *
 * @example
 * ```ts
 * const again = fromWire(toWire(error)) // a LiveDataError with the same code and fields
 * ```
 */
export const toWire = (error: LiveDataError): WireErrorShape => ({
  code: error.code,
  message: error.message,
  status: error.status,
  serverCode: error.serverCode,
  retryable: error.retryable,
})

/** See {@link toWire}. */
export const fromWire = (shape: WireErrorShape): LiveDataError =>
  new LiveDataError(shape.code as LiveDataError['code'], shape.message, {
    status: shape.status,
    serverCode: shape.serverCode,
    retryable: shape.retryable,
  })

/**
 * A random id for a tab or a relay.
 *
 * @example
 * ```ts
 * tabId() // 'k3v9x0c2q8'
 * ```
 */
export const tabId = (): string => Math.random().toString(36).slice(2, 12)
