import {
  type FollowListener,
  LiveServerError,
  type StoredMessage,
} from '@livedata/server/backplane'
import { type Backoff, backoff } from './backoff'
import { isUnreachable, type RedisConnection } from './connection'
import { readEpoch } from './epochs'
import type { RedisHealth } from './health'
import { channelKeys } from './keys'
import { streamsOf, toStoredMessages } from './stream-entries'
import { compareStreamIds } from './stream-ids'

type Send = (args: string[]) => Promise<unknown>

/** The id before any entry: where a follow of an empty stream reads from. */
const ORIGIN = '0-0'

/** One `follow()`: a channel, its listener, and where it stands in the channel's stream. */
interface Follow {
  readonly channel: string
  readonly stream: string
  readonly epochKey: string
  readonly listener: FollowListener
  /** The newest id delivered (by the load or a message). */
  lastId: string
  /** The channel's epoch when it was loaded. */
  epoch: string
  /**
   * `loading`: its first load is under way; `following`: in the loop; `stale`: told `lost()`,
   * reloaded by the loop before it reads again; `closed`: unfollowed, or its first load failed.
   */
  state: 'loading' | 'following' | 'stale' | 'closed'
}

/** What {@link createFollower} works with. */
export interface FollowerOptions {
  /** First loads, and `CLIENT UNBLOCK` while the loop is blocked. */
  command: RedisConnection
  /** The loop's own connection: `XREAD BLOCK`, and the checks between reads. */
  blocking: RedisConnection
  prefix: string
  /** Entries read per stream per `XREAD`: at most the streams' trim length (see `deliver`). */
  count: number
  /** How long one `XREAD` blocks, in ms. */
  block: number
  /** Messages a load gives (the host's `history`). */
  history: () => number
  health: RedisHealth
  /** Where a listener that threw, or a check Redis refused, is told (the host's `report`). */
  report: (error: LiveServerError) => void
  /** The retry delays while Redis is unreachable. Default 100 ms doubling to 2 s, jittered. */
  delays?: Backoff
}

/** The one loop of a backplane that reads every followed channel: see {@link createFollower}. */
export interface Follower {
  /** Loads the channel, then delivers each new entry once, in order, until the returned call. */
  follow(channel: string, listener: FollowListener): () => void
  /** The loop's connection was opened again: its client id changed. */
  reconnected(): void
  /** Stops the loop; resolves once it has (close the blocking connection to end its read). */
  stop(): Promise<void>
}

/** Reads a channel's tail: its epoch first (so a loss after it is seen), then its newest entries. */
async function load(
  send: Send,
  follow: Follow,
  history: number,
): Promise<{ epoch: string; lastId: string; messages: StoredMessage[]; more: boolean }> {
  const epoch = await readEpoch(send, follow.epochKey)
  const reply = await send(['XREVRANGE', follow.stream, '+', '-', 'COUNT', String(history + 1)])
  const newest = toStoredMessages(follow.channel, reply)
  return {
    epoch,
    lastId: newest[0]?.id ?? ORIGIN,
    messages: newest.slice(0, history).reverse(),
    more: newest.length > history,
  }
}

async function exists(send: Send, stream: string, id: string): Promise<boolean> {
  const reply = await send(['XRANGE', stream, id, id])
  return Array.isArray(reply) && reply.length > 0
}

/**
 * The follower of a Redis backplane: ONE loop per backplane, on its own connection, running
 * `XREAD COUNT <count> BLOCK <block> STREAMS k1 k2 … id1 id2 …` over every followed channel from
 * the last id it delivered. When the set of channels changes while it is blocked, the command
 * connection sends `CLIENT UNBLOCK`, retried until the loop reads the new set (an unblock that
 * reached Redis before the `XREAD` did would otherwise leave a new channel waiting a whole block).
 *
 * When Redis is unreachable the loop retries with bounded backoff; when it answers again, each
 * channel whose epoch changed or vanished, or whose last id is gone from the stream, is told
 * `lost()` and loaded again; the others go on from their last id, so nothing published meanwhile
 * is missed.
 *
 * @example
 * ```ts
 * const follower = createFollower({ command, blocking, prefix: 'livedata', count: 100, block: 5000,
 *   history: () => 1000, health, report })
 * const unfollow = follower.follow('prices', listener)
 * ```
 */
export function createFollower(options: FollowerOptions): Follower {
  const { command, blocking, count, block, health, report } = options
  const delays = options.delays ?? backoff()
  const follows = new Set<Follow>()
  /** Bumped whenever the set of channels to read changes. */
  let generation = 0
  /** The generation the `XREAD` in flight was issued for, `null` when none is. */
  let reading: number | null = null
  /** The loop connection's client id (for `CLIENT UNBLOCK`), `null` until asked again. */
  let blockingId: string | null = null
  /** An error happened since the last read: check every channel before reading again. */
  let outage = false
  let stopped = false
  let unblocking = false
  let wake: (() => void) | null = null
  let pause: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | null = null

  const call = (follow: Follow, what: string, fn: () => void): void => {
    try {
      fn()
    } catch (cause) {
      report(
        new LiveServerError('ERR_INTERNAL', `The ${what} listener of "${follow.channel}" threw`, {
          cause,
        }),
      )
    }
  }

  const lose = (follow: Follow): void => {
    follow.state = 'stale'
    call(follow, 'lost', () => follow.listener.lost())
  }

  /** Unblocks the loop until it reads the current generation: see the race above. */
  async function unblock(): Promise<void> {
    if (unblocking) return
    unblocking = true
    try {
      while (!stopped && reading !== null && reading < generation && blockingId !== null) {
        const done = await command.send(['CLIENT', 'UNBLOCK', blockingId]).catch(() => null)
        // The command connection is down too: the loop's read fails and it starts over.
        if (done === null) break
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    } finally {
      unblocking = false
    }
  }

  const changed = (): void => {
    generation++
    wake?.()
    void unblock()
  }

  async function reload(follow: Follow): Promise<void> {
    const loaded = await load(blocking.send, follow, options.history())
    if (follow.state !== 'stale') return
    follow.epoch = loaded.epoch
    follow.lastId = loaded.lastId
    follow.state = 'following'
    call(follow, 'load', () => follow.listener.load(loaded.messages, loaded.more))
  }

  /** After an outage: is each channel's stream still the one it read? */
  async function recover(): Promise<void> {
    for (const follow of follows) {
      if (follow.state !== 'following') continue
      const epoch = await blocking.send(['GET', follow.epochKey])
      let intact = epoch !== null && String(epoch) === follow.epoch
      if (intact && follow.lastId !== ORIGIN) {
        intact = await exists(blocking.send, follow.stream, follow.lastId)
      }
      if (!intact && follow.state === 'following') lose(follow)
    }
    outage = false
  }

  async function deliver(
    groups: Map<string, { from: string; follows: Follow[] }>,
    reply: Map<string, unknown>,
  ): Promise<void> {
    for (const [stream, entries] of reply) {
      const group = groups.get(stream)
      const first = group?.follows[0]
      if (group === undefined || first === undefined) continue
      const messages = toStoredMessages(first.channel, entries)
      // A full batch may mean the read started below the stream's trimmed head: entries are
      // only trimmed oldest first, so if the id it read from is still there, none after it were.
      // (A stream trimmed to less than `count` entries could hide a skip; see the README.)
      if (
        messages.length >= count &&
        group.from !== ORIGIN &&
        !(await exists(blocking.send, stream, group.from))
      ) {
        for (const follow of group.follows) if (follow.state === 'following') lose(follow)
        continue
      }
      for (const follow of group.follows) {
        for (const message of messages) {
          if (follow.state !== 'following') break
          if (compareStreamIds(message.id, follow.lastId) <= 0) continue
          follow.lastId = message.id
          call(follow, 'message', () => follow.listener.message(message))
        }
      }
    }
  }

  async function readOnce(): Promise<void> {
    if (outage) await recover()
    for (const follow of follows) if (follow.state === 'stale') await reload(follow)
    const groups = new Map<string, { from: string; follows: Follow[] }>()
    for (const follow of follows) {
      if (follow.state !== 'following') continue
      const group = groups.get(follow.stream)
      if (group === undefined) groups.set(follow.stream, { from: follow.lastId, follows: [follow] })
      else {
        group.follows.push(follow)
        if (compareStreamIds(follow.lastId, group.from) < 0) group.from = follow.lastId
      }
    }
    if (groups.size === 0) return
    blockingId ??= String(await blocking.send(['CLIENT', 'ID']))
    const keys = [...groups.keys()]
    const ids = keys.map((key) => groups.get(key)?.from ?? ORIGIN)
    reading = generation
    let reply: unknown
    try {
      reply = await blocking.send([
        'XREAD',
        'COUNT',
        String(count),
        'BLOCK',
        String(block),
        'STREAMS',
        ...keys,
        ...ids,
      ])
    } finally {
      reading = null
    }
    health.up()
    delays.reset()
    // Only the follows this read was issued for: one added since may stand further back.
    await deliver(groups, streamsOf(reply))
  }

  async function run(): Promise<void> {
    while (!stopped) {
      let active = false
      for (const follow of follows) if (follow.state !== 'loading') active = true
      if (!active) {
        await new Promise<void>((resolve) => {
          wake = resolve
        })
        wake = null
        continue
      }
      try {
        await readOnce()
      } catch (error) {
        if (stopped) break
        blockingId = null
        outage = true
        if (isUnreachable(error)) health.down(error)
        else {
          report(
            new LiveServerError('ERR_BACKPLANE', 'Redis refused a read of the follower', {
              cause: error,
            }),
          )
        }
        await new Promise<void>((resolve) => {
          pause = { timer: setTimeout(resolve, delays.next()), resolve }
        })
        pause = null
      }
    }
  }

  const done = run()

  return {
    follow(channel, listener) {
      const keys = channelKeys(options.prefix, channel)
      const follow: Follow = {
        channel,
        stream: keys.stream,
        epochKey: keys.epoch,
        listener,
        lastId: ORIGIN,
        epoch: '',
        state: 'loading',
      }
      if (stopped) {
        follow.state = 'closed'
        queueMicrotask(() =>
          call(follow, 'failed', () =>
            listener.failed(
              new LiveServerError(
                'ERR_CLOSED',
                `Cannot follow "${channel}": the backplane is closed`,
              ),
            ),
          ),
        )
        return () => {}
      }
      follows.add(follow)
      load(command.send, follow, options.history()).then(
        (loaded) => {
          if (follow.state !== 'loading') return
          follow.epoch = loaded.epoch
          follow.lastId = loaded.lastId
          follow.state = 'following'
          health.up()
          call(follow, 'load', () => listener.load(loaded.messages, loaded.more))
          if (follow.state === 'following') changed()
        },
        (cause: unknown) => {
          if (follow.state !== 'loading') return
          follow.state = 'closed'
          follows.delete(follow)
          if (isUnreachable(cause)) health.down(cause)
          call(follow, 'failed', () =>
            listener.failed(
              new LiveServerError(
                'ERR_BACKPLANE',
                `Following "${channel}" failed: its stream could not be read from Redis`,
                { cause },
              ),
            ),
          )
        },
      )
      return () => {
        if (follow.state === 'closed') return
        follow.state = 'closed'
        follows.delete(follow)
        changed()
      }
    },
    reconnected() {
      blockingId = null
    },
    async stop() {
      stopped = true
      wake?.()
      if (pause !== null) {
        clearTimeout(pause.timer)
        pause.resolve()
      }
      for (const follow of follows) follow.state = 'closed'
      follows.clear()
      await done
    },
  }
}
