import { newIdempotencyKey } from '../idempotency-key'
import { compareIds } from '../ids'
import type { InternalSource } from '../source'
import type { LiveClient } from '../types'
import { type TabBus, type TabMessage, tabId, toWire } from './bus'

const RAW = { parse: (text: string): unknown => text }

/** How often the relay says it is alive, in ms. */
const PING = 1000

/** One channel the relay follows for the tabs: its raw source and the tabs that joined it. */
interface Followed {
  source: InternalSource<unknown>
  tabs: Set<string>
  stop: () => void
  /** Going back to an older cursor for a tab that joined behind: the others need not hear it. */
  seeking: boolean
}

/** How long a tab may say nothing (it answers every ping) before the relay forgets it, in ms. */
const FORGET = 5000

/**
 * The leading tab's relay: it holds the one connection (an internal client with the app's
 * transports and credentials) and serves every tab's channels over BroadcastChannel. Each
 * channel is one raw subscription, ref-counted by the tabs that joined it, started from the oldest
 * cursor a tab asked for (a tab drops the ids it has seen); every message, cursor, gap and state
 * change is said once to all tabs.
 *
 * @example
 * ```ts
 * const relay = startRelay(bus, createInternalClient())
 * relay.close() // the tab no longer leads
 * ```
 */
export function startRelay(bus: TabBus, client: LiveClient): { close(): void } {
  const id = tabId()
  const followed = new Map<string, Followed>()
  const post = (message: TabMessage): void => bus.post(message)
  // Raw: the text is handed on, parsed by each tab's own source. One options object, so that
  // every call names the same options.
  const raw = (channel: string, replay?: number) =>
    client.source(channel, replay ? { ...RAW, replay } : RAW) as InternalSource<unknown>
  /** When each tab last answered a ping. */
  const seen = new Map<string, number>()

  const follow = (channel: string, cursor: string | null, replay?: number): Followed => {
    const existing = followed.get(channel)
    if (existing) return existing
    // The first join decides the backlog of a fresh subscription (`replay`).
    const source = raw(channel, cursor === null ? replay : undefined)
    if (cursor !== null) source.seek(cursor)
    const entry: Followed = { source, tabs: new Set(), stop: () => {}, seeking: false }
    const stopTap = source.tap({
      onMessage: (m) => post({ t: 'msg', channel, m }),
      onCursor: (at) => post({ t: 'cursor', channel, id: at }),
      onGap: (replay) => post({ t: 'gap', channel, replay }),
      onError: () => {},
      onState: ({ status, transport, error }) => {
        // A restart for a tab behind is no news to the tabs already open on it.
        if (entry.seeking && status !== 'open' && status !== 'closed') return
        entry.seeking = false
        post({ t: 'state', channel, status, transport, error: error && toWire(error) })
      },
    })
    const unsubscribe = source.subscribe(() => {})
    entry.stop = () => {
      stopTap()
      unsubscribe()
    }
    followed.set(channel, entry)
    return entry
  }

  /** Forgets tabs that stopped answering (closed or crashed without a goodbye). */
  const forgetSilent = (): void => {
    const now = Date.now()
    for (const [tab, at] of seen) {
      if (now - at < FORGET) continue
      seen.delete(tab)
      for (const channel of [...followed.keys()]) leave(tab, channel)
    }
  }

  const leave = (tab: string, channel: string): void => {
    const entry = followed.get(channel)
    if (!entry?.tabs.delete(tab) || entry.tabs.size > 0) return
    entry.stop()
    followed.delete(channel)
  }

  const heard = (message: TabMessage): void => {
    switch (message.t) {
      case 'hello':
        return post({ t: 'leader', id })
      case 'here':
        // A tab it forgot (silent too long, or back from the page cache) joins again.
        if (!seen.has(message.tab)) post({ t: 'rejoin', tab: message.tab })
        seen.set(message.tab, Date.now())
        return
      case 'join': {
        const { tab, channel, cursor, replay } = message
        seen.set(tab, Date.now())
        const entry = follow(channel, cursor, replay)
        entry.tabs.add(tab)
        const snapshot = entry.source.getSnapshot()
        if (cursor === null) {
          // A fresh join starts from where the relay stands.
          if (snapshot.lastEventId !== null) {
            post({ t: 'cursor', channel, id: snapshot.lastEventId, tab })
          }
        } else if (
          snapshot.lastEventId === null ||
          (compareIds(cursor, snapshot.lastEventId) ?? 0) < 0
        ) {
          // Behind the relay: it goes back to this tab's cursor (the others drop what they saw).
          entry.seeking = entry.tabs.size > 1
          entry.source.seek(cursor)
        }
        // To the joining tab alone: the others are told of changes as they happen (a restart
        // for a tab behind, reported here, would kick them off for nothing).
        const { status, transport, error } = snapshot
        post({ t: 'state', channel, status, transport, error: error && toWire(error), tab })
        return
      }
      case 'leave':
        return leave(message.tab, message.channel)
      case 'bye':
        seen.delete(message.tab)
        for (const channel of [...followed.keys()]) leave(message.tab, channel)
        return
      case 'send': {
        const { tab, ref, channel, data, event, key } = message
        // With the tab's own key: tried again through another leader, it is delivered once.
        ;(followed.get(channel)?.source ?? raw(channel))
          .sendWithKey(data, event, key ?? newIdempotencyKey())
          .then(
            (value) => post({ t: 'ack', tab, ref, value }),
            (error) => post({ t: 'ack', tab, ref, error: toWire(error) }),
          )
      }
    }
  }

  const stopListening = bus.listen(heard)
  const ping = setInterval(() => {
    post({ t: 'ping', id })
    forgetSilent()
  }, PING)
  post({ t: 'leader', id })
  return {
    close() {
      clearInterval(ping)
      stopListening()
      for (const entry of followed.values()) entry.stop()
      followed.clear()
      client.close()
    },
  }
}
