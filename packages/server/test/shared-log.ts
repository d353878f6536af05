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
 * the log can go down, or be lost. The Redis one is tested against a real redis-server in
 * packages/redis; this one tests what the server does with any backplane.
 */
export function createSharedLog() {
  const streams = new Map<string, StoredMessage[]>()
  const nextId = createIdGenerator()
  const nodes = new Set<ReturnType<typeof node>>()
  let down = false

  function node() {
    const follows = new Map<FollowListener, { channel: string; held: StoredMessage[] | null }>()
    let held = false
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
        const stream = streams.get(channel) ?? []
        const history = hosts[0]?.history ?? 1000
        queueMicrotask(() => listener.load(stream.slice(-history), stream.length > history))
        return () => void follows.delete(listener)
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
      /** Tells its follows of `channel` the log was lost, then loads them again. */
      lose(channel: string) {
        for (const [listener, follow] of follows) {
          if (follow.channel !== channel) continue
          listener.lost()
          listener.load(streams.get(channel) ?? [], false)
        }
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
  }
}
