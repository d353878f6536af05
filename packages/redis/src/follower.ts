import {
  type FollowListener,
  LiveServerError,
  type StoredMessage,
} from '@livedata/server/backplane'
import { type Backoff, backoff } from './backoff'
import { isUnreachable, type RedisConnection } from './connection'
import type { RedisHealth } from './health'
import { channelKeys } from './keys'
import { streamsOf, toStoredMessages } from './stream-entries'
import { compareStreamIds } from './stream-ids'
import { type StreamInfo, toStreamInfo } from './stream-info'

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
  /** The channel's epoch when it was loaded (`''`: it had none, nothing was published yet). */
  epoch: string
  /** Whether a read since the (re)load was checked for a trim past `lastId`. */
  checked: boolean
  /**
   * How many entries the stream had ever been given up to `lastId` (its `entries-added` then),
   * `null` when unknown (Redis before 7): entries removed beyond it were never read.
   */
  position: number | null
  /**
   * `loading`: its first load is under way; `following`: in the loop; `stale`: told `lost()`,
   * reloaded by the loop before it reads again; `closed`: unfollowed, or its first load failed.
   */
  state: 'loading' | 'following' | 'stale' | 'closed'
}

/** The follows of one stream in one read: from the id of the one furthest back. */
interface Group {
  from: string
  /** The position (see `Follow`) of the follow furthest back. */
  position: number | null
  follows: Follow[]
}

/** What {@link createFollower} works with. */
export interface FollowerOptions {
  /** First loads, and `CLIENT UNBLOCK` while the loop is blocked. */
  command: RedisConnection
  /** The loop's own connection: `XREAD BLOCK`, and the checks between reads. */
  blocking: RedisConnection
  prefix: string
  /**
   * Entries read per stream per `XREAD`: at least the streams' trim length, so that a follower
   * reads in one go all that a stream holds (a full batch is read again at once, without BLOCK).
   */
  count: number
  /** How long one `XREAD` blocks, in ms. */
  block: number
  /** How long the loop waits for the answer of a blocking `XREAD`, in ms: `block` and a margin. */
  readTimeout: number
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

/** What a load found: see {@link load}. */
interface Loaded {
  epoch: string
  lastId: string
  position: number | null
  messages: StoredMessage[]
  more: boolean
}

/** A follow goes on from what its (re)load found: the stream's epoch, last id and count. */
function adopt(follow: Follow, loaded: Loaded): void {
  follow.epoch = loaded.epoch
  follow.lastId = loaded.lastId
  follow.position = loaded.position
  follow.checked = false
  follow.state = 'following'
}

/**
 * Reads a channel's tail at one instant (`MULTI`): its epoch, its newest entries and `XINFO
 * STREAM`. The follow goes on from the newest entry; from an empty stream's last generated id
 * (its trimmed or deleted entries are not news); from `0-0` when there is no stream.
 */
async function load(connection: RedisConnection, follow: Follow, history: number): Promise<Loaded> {
  const [epoch, range, infoReply] = await connection.transaction([
    ['GET', follow.epochKey],
    ['XREVRANGE', follow.stream, '+', '-', 'COUNT', String(history + 1)],
    ['XINFO', 'STREAM', follow.stream],
  ])
  for (const reply of [epoch, range]) if (reply instanceof Error) throw reply
  const info = toStreamInfo(infoReply)
  const newest = toStoredMessages(follow.channel, range)
  const lastId = newest[0]?.id ?? info?.lastGeneratedId ?? ORIGIN
  let position: number | null = null
  if (info === null) position = 0
  else if (info.entriesAdded !== undefined && lastId === info.lastGeneratedId) {
    position = info.entriesAdded
  }
  return {
    epoch: epoch === null || epoch === undefined ? '' : String(epoch),
    lastId,
    position,
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
 * the last id it delivered (without BLOCK right after a full batch). A read that may have started
 * below a stream's trimmed head (a full batch, or a follow's first read) is checked with `XINFO
 * STREAM`: if entries after the follow's last id were removed, it is told `lost()` and loaded
 * again, never left to skip them silently. When the set of channels changes while it is blocked, the command
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
 * const follower = createFollower({ command, blocking, prefix: 'livedata', count: 1000,
 *   block: 5000, readTimeout: 10_000, history: () => 1000, health, report })
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
  /** The error reply last reported (the loop's refusals are reported once per cause). */
  let refused: string | null = null

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
    const loaded = await load(blocking, follow, options.history())
    if (follow.state !== 'stale') return
    adopt(follow, loaded)
    call(follow, 'load', () => follow.listener.load(loaded.messages, loaded.more))
  }

  /** After an outage: is each channel's stream still the one it read? */
  async function recover(): Promise<void> {
    for (const follow of follows) {
      if (follow.state !== 'following') continue
      const reply = await blocking.send(['GET', follow.epochKey])
      const epoch = reply === null || reply === undefined ? '' : String(reply)
      // A channel loaded before its first publish had no epoch: the one set since is its own if
      // the entry it last read is still there.
      let intact = epoch === follow.epoch || (follow.epoch === '' && epoch !== '')
      if (intact && follow.lastId !== ORIGIN) {
        intact = await exists(blocking.send, follow.stream, follow.lastId)
      }
      if (!intact && follow.state === 'following') lose(follow)
      else if (follow.state === 'following') follow.epoch = epoch
    }
    outage = false
  }

  /**
   * Reads `stream` again from `from` at one instant with `XINFO STREAM` (and whether `from` is
   * still there): the entries to deliver (and the stream's info), or `null` if entries after
   * `from` were removed before they were read. Trims remove the oldest entries first, so
   * `entries-added - length` of them are gone: more than the follow's position means some after
   * `from`; unless `from` itself is still there (then none after it was trimmed; a `XDEL` is the
   * app's own). Before Redis 7 (no `entries-added`), only a full batch read from an id that is
   * gone says so. A stream gone, or whose epoch changed, is lost too (deleted, or deleted and
   * written again), and so is one that is not the stream the follow counted in: its newest id
   * is older than `from`, or it has had fewer entries than the follow's position (the stream key
   * alone was deleted, by an admin or an eviction, and written again). A follow loaded before
   * the channel had an epoch takes the one it has now.
   */
  async function snapshot(
    group: Group,
    stream: string,
  ): Promise<{ messages: StoredMessage[]; info: StreamInfo } | null> {
    const first = group.follows[0] as Follow
    const [read, infoReply, there, epochReply] = await blocking.transaction([
      ['XREAD', 'COUNT', String(count), 'STREAMS', stream, group.from],
      ['XINFO', 'STREAM', stream],
      ['XRANGE', stream, group.from, group.from],
      ['GET', first.epochKey],
    ])
    for (const reply of [read, there, epochReply]) if (reply instanceof Error) throw reply
    const info = toStreamInfo(infoReply)
    if (info === null) return null
    const epoch = epochReply === null || epochReply === undefined ? '' : String(epochReply)
    if (group.follows.some((follow) => follow.epoch !== '' && follow.epoch !== epoch)) return null
    for (const follow of group.follows) follow.epoch = epoch
    const messages = toStoredMessages(first.channel, streamsOf(read).get(stream))
    if (compareStreamIds(group.from, info.lastGeneratedId) > 0) return null
    const kept = group.from !== ORIGIN && Array.isArray(there) && there.length > 0
    if (kept) return { messages, info }
    const position = group.position
    if (info.entriesAdded === undefined || position === null) {
      return messages.length >= count && group.from !== ORIGIN ? null : { messages, info }
    }
    if (info.entriesAdded < position) return null
    return info.entriesAdded - info.length > position ? null : { messages, info }
  }

  /** Delivers a read; whether a stream's batch came back full (there may be more at once). */
  async function deliver(
    groups: Map<string, Group>,
    reply: Map<string, unknown>,
  ): Promise<boolean> {
    let full = false
    for (const [stream, entries] of reply) {
      const group = groups.get(stream)
      const first = group?.follows[0]
      if (group === undefined || first === undefined) continue
      let messages = toStoredMessages(first.channel, entries)
      if (messages.length === 0) continue
      let info: StreamInfo | undefined
      // Checked when there is reason only: a full batch (the read may have started below the
      // trimmed head), or a follow's first read since its load (a burst may have been trimmed
      // before it).
      if (messages.length >= count || group.follows.some((follow) => !follow.checked)) {
        const checked = await snapshot(group, stream)
        if (checked === null) {
          for (const follow of group.follows) if (follow.state === 'following') lose(follow)
          continue
        }
        for (const follow of group.follows) follow.checked = true
        messages = checked.messages
        info = checked.info
      }
      if (messages.length >= count) full = true
      for (const follow of group.follows) {
        for (const message of messages) {
          if (follow.state !== 'following') break
          if (compareStreamIds(message.id, follow.lastId) <= 0) continue
          follow.lastId = message.id
          if (follow.position !== null) follow.position++
          call(follow, 'message', () => follow.listener.message(message))
        }
        // Read up to the stream's newest entry at the instant checked: its count is exact again
        // (entries the app deleted with XDEL, never delivered, are counted too).
        if (
          info?.entriesAdded !== undefined &&
          follow.state === 'following' &&
          follow.lastId === info.lastGeneratedId
        ) {
          follow.position = info.entriesAdded
        }
      }
    }
    return full
  }

  /** A batch came back full: read again at once, without BLOCK. */
  let hurry = false

  async function readOnce(): Promise<void> {
    if (outage) await recover()
    for (const follow of follows) if (follow.state === 'stale') await reload(follow)
    const groups = new Map<string, Group>()
    for (const follow of follows) {
      if (follow.state !== 'following') continue
      const group = groups.get(follow.stream)
      if (group === undefined) {
        groups.set(follow.stream, {
          from: follow.lastId,
          position: follow.position,
          follows: [follow],
        })
      } else {
        group.follows.push(follow)
        if (compareStreamIds(follow.lastId, group.from) < 0) {
          group.from = follow.lastId
          group.position = follow.position
        }
      }
    }
    if (groups.size === 0) return
    blockingId ??= String(await blocking.send(['CLIENT', 'ID']))
    const keys = [...groups.keys()]
    const ids = keys.map((key) => groups.get(key)?.from ?? ORIGIN)
    const wait = hurry ? [] : ['BLOCK', String(block)]
    reading = generation
    let reply: unknown
    try {
      reply = await blocking.send(
        ['XREAD', 'COUNT', String(count), ...wait, 'STREAMS', ...keys, ...ids],
        options.readTimeout,
      )
    } finally {
      reading = null
    }
    health.up()
    delays.reset()
    // Only the follows this read was issued for: one added since may stand further back.
    hurry = await deliver(groups, streamsOf(reply))
    refused = null
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
        hurry = false
        if (isUnreachable(error)) health.down(error)
        else {
          // Once per cause (a key of the wrong type fails every retry the same way), and again
          // only after a read went through.
          const cause = error instanceof Error ? error.message : String(error)
          if (cause !== refused) {
            refused = cause
            report(
              new LiveServerError('ERR_BACKPLANE', 'Redis refused a read of the follower', {
                cause: error,
              }),
            )
          }
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
        checked: false,
        position: null,
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
      load(command, follow, options.history()).then(
        (loaded) => {
          if (follow.state !== 'loading') return
          adopt(follow, loaded)
          health.up()
          call(follow, 'load', () => listener.load(loaded.messages, loaded.more))
          // The listener may have unfollowed meanwhile (TypeScript still sees 'loading' here).
          if ((follow.state as Follow['state']) === 'following') changed()
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
