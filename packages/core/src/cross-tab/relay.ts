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
}

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
  const raw = (channel: string) => client.source(channel, RAW) as InternalSource<unknown>

  const follow = (channel: string, cursor: string | null): Followed => {
    let entry = followed.get(channel)
    if (entry) return entry
    const source = raw(channel)
    if (cursor !== null) source.seek(cursor)
    const stopTap = source.tap({
      onMessage: (m) => post({ t: 'msg', channel, m }),
      onCursor: (at) => post({ t: 'cursor', channel, id: at }),
      onGap: (replay) => post({ t: 'gap', channel, replay }),
      onError: () => {},
      onState: ({ status, transport, error }) =>
        post({ t: 'state', channel, status, transport, error: error && toWire(error) }),
    })
    const unsubscribe = source.subscribe(() => {})
    entry = {
      source,
      tabs: new Set(),
      stop: () => {
        stopTap()
        unsubscribe()
      },
    }
    followed.set(channel, entry)
    return entry
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
      case 'join': {
        const { tab, channel, cursor } = message
        const entry = follow(channel, cursor)
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
          entry.source.seek(cursor)
        }
        const { status, transport, error } = snapshot
        post({ t: 'state', channel, status, transport, error: error && toWire(error) })
        return
      }
      case 'leave':
        return leave(message.tab, message.channel)
      case 'bye':
        for (const channel of [...followed.keys()]) leave(message.tab, channel)
        return
      case 'send': {
        const { tab, ref, channel, data, event, key } = message
        // With the tab's own key: tried again through another leader, it is delivered once.
        raw(channel)
          .sendWithKey(data, event, key ?? newIdempotencyKey())
          .then(
            (value) => post({ t: 'ack', tab, ref, value }),
            (error) => post({ t: 'ack', tab, ref, error: toWire(error) }),
          )
      }
    }
  }

  const stopListening = bus.listen(heard)
  const ping = setInterval(() => post({ t: 'ping', id }), PING)
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
