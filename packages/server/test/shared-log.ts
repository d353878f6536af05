import type {
  Backplane,
  BackplaneHost,
  FollowListener,
  PreparedMessage,
  StoredMessage,
} from '../src/backplane'
import { LiveServerError } from '../src/errors'
import { createIdGenerator } from '../src/ids'

/**
 * A shared log in this process that several servers use as their backplane, with the knobs a
 * test of the server's side needs: a node's follow can be held back (a node behind the others),
 * a channel's first load held back (a slow or hung store), the log can go down, or be lost (and
 * stay unreadable). The Redis one is tested against a real redis-server in
 * packages/redis; this one tests what the server does with any backplane.
 */
export function createSharedLog() {
  const streams = new Map<string, StoredMessage[]>()
  const nextId = createIdGenerator()
  const nodes = new Set<ReturnType<typeof node>>()
  let down = false
  /** How many times a node read a channel's newest message (`newest`). */
  let newestReads = 0

  function node() {
    const follows = new Map<FollowListener, { channel: string; held: StoredMessage[] | null }>()
    let held = false
    /** Channels whose first load is held back, and the loads waiting. */
    const heldLoads = new Map<string, (() => void)[]>()
    /** Reads of newest messages held back (a slow store), while held; `null` when not. */
    let heldNewest: (() => void)[] | null = null
    /** Waiting for a channel's next load to be given. */
    const loadWaiters = new Map<string, (() => void)[]>()
    const load = (channel: string, listener: FollowListener): void => {
      const stream = streams.get(channel) ?? []
      const history = hosts[0]?.history ?? 1000
      listener.load(stream.slice(-history), stream.length > history)
      for (const waiter of loadWaiters.get(channel)?.splice(0) ?? []) waiter()
    }
    const hosts: BackplaneHost[] = []
    const backplane: Backplane = {
      start: (host) => void hosts.push(host),
      async publish(message: PreparedMessage) {
        if (down) throw new LiveServerError('ERR_BACKPLANE', 'The log is down')
        const stored: StoredMessage = { id: nextId(), ...message }
        const stream = streams.get(message.channel) ?? []
        stream.push(stored)
        streams.set(message.channel, stream)
        for (const each of nodes) each.deliver(stored)
        return stored.id
      },
      follow(channel, listener) {
        if (down) {
          queueMicrotask(() =>
            listener.failed(new LiveServerError('ERR_BACKPLANE', 'The log is down')),
          )
          return () => {}
        }
        follows.set(listener, { channel, held: null })
        const waiting = heldLoads.get(channel)
        if (waiting !== undefined) waiting.push(() => load(channel, listener))
        else queueMicrotask(() => load(channel, listener))
        return () => void follows.delete(listener)
      },
      async newest(channel) {
        newestReads++
        const waiting = heldNewest
        if (waiting !== null) await new Promise<void>((resolve) => waiting.push(resolve))
        if (down) throw new LiveServerError('ERR_BACKPLANE', 'The log is down')
        return streams.get(channel)?.at(-1) ?? null
      },
      async has(channel, id) {
        return (streams.get(channel) ?? []).some((message) => message.id === id)
      },
      health: () => ({ state: down ? 'down' : 'up', since: 0 }),
      async close() {
        nodes.delete(api)
      },
    }
    const pending: StoredMessage[] = []
    const api = {
      backplane,
      deliver(message: StoredMessage) {
        if (held) return void pending.push(message)
        for (const [listener, follow] of follows) {
          if (follow.channel === message.channel) listener.message(message)
        }
      },
      /** Holds this node's follows back: it falls behind the log. */
      hold() {
        held = true
      },
      /** Lets it catch up. */
      release() {
        held = false
        for (const message of pending.splice(0)) api.deliver(message)
      },
      /**
       * Tells its follows of `channel` the log was lost, then loads them again (unless `reload`
       * is false: see {@link reload}).
       */
      lose(channel: string, reload = true) {
        for (const [listener, follow] of follows) {
          if (follow.channel !== channel) continue
          listener.lost()
          if (reload) load(channel, listener)
        }
      },
      /** Loads its follows of `channel` again (after `lose(channel, false)`). */
      reload(channel: string) {
        for (const [listener, follow] of follows) {
          if (follow.channel === channel) load(channel, listener)
        }
      },
      /** Holds this node's reads of newest messages (`newest`) back until {@link releaseNewest}. */
      holdNewest() {
        heldNewest ??= []
      },
      /** Answers the reads of newest messages held back, from the log as it is now. */
      releaseNewest() {
        const waiting = heldNewest ?? []
        heldNewest = null
        for (const answer of waiting) answer()
      },
      /** Holds back the loads of new follows of `channel` until {@link releaseLoads}. */
      holdLoads(channel: string) {
        heldLoads.set(channel, heldLoads.get(channel) ?? [])
      },
      /** Gives the loads held back for `channel`, and no longer holds them. */
      releaseLoads(channel: string) {
        const waiting = heldLoads.get(channel) ?? []
        heldLoads.delete(channel)
        for (const give of waiting) give()
      },
      /** Resolves once this node's next load of `channel` was given. */
      loaded(channel: string): Promise<void> {
        return new Promise((resolve) => {
          loadWaiters.set(channel, [...(loadWaiters.get(channel) ?? []), resolve])
        })
      },
      /** How many follows of `channel` this node has now. */
      following(channel: string): number {
        return [...follows.values()].filter((follow) => follow.channel === channel).length
      },
    }
    nodes.add(api)
    return api
  }

  return {
    node,
    /** Empties the log of `channel` (a store restarted without its data), telling every node. */
    wipe(channel: string) {
      streams.set(channel, [])
      for (const each of nodes) each.lose(channel)
    },
    setDown(value: boolean) {
      down = value
    },
    /** How many one-off reads of a channel's newest message the nodes made. */
    get newestReads() {
      return newestReads
    },
  }
}
