import type { Channel } from './channel'
import { LiveServerError } from './errors'
import type { StoredMessage } from './history'
import { ORIGIN_ID } from './history'
import { type Hub, isChannelName } from './hub'
import type { NewestReads } from './newest-reads'
import { quote } from './quote'

/**
 * What `live.snapshot(channel)` gives: the state a REST answer carries and the id it reflects,
 * from which a client's stream goes on (`load` in @livedata/core), so that nothing published
 * between the two is lost or applied twice.
 */
export interface ChannelSnapshot<T = unknown> {
  /**
   * On a latest-value channel (`keep: 'last'`), the newest message's data; absent on other
   * channels (the app adds its own state) and on a channel with no message yet.
   */
  data?: T
  /**
   * The id the state reflects: on a latest-value channel the newest message's; otherwise the
   * channel's newest id now, or `0-0` when it has none (resuming from it replays everything).
   */
  cursor: string
}

/** What a server with a backplane gives {@link takeSnapshot}. */
export interface SnapshotSource {
  /**
   * The backplane's one-off reads of a channel's newest message, coalesced and bounded
   * (`null` when the backplane has no `newest`: the snapshot loads the channel instead).
   */
  reads: NewestReads | null
  /** Whether the node holds (follows) the channel now: then it is read as the node has it. */
  held(name: string): boolean
  /** Whether the channel keeps its latest value (`keep: 'last'`). */
  keepLast(name: string): boolean
}

/** `ERR_CLOSED` for a snapshot asked of, or answered after, a closed server. */
function closed(cause?: unknown): LiveServerError {
  return new LiveServerError(
    'ERR_CLOSED',
    'Cannot take a snapshot: the live server is closed',
    cause === undefined ? undefined : { cause },
  )
}

/** The snapshot of a newest message (or of none), as a channel holding it would give it. */
function fromNewest<T>(newest: StoredMessage | undefined, keepLast: boolean): ChannelSnapshot<T> {
  if (newest === undefined) return { cursor: ORIGIN_ID }
  if (!keepLast) return { cursor: newest.id }
  return { data: JSON.parse(newest.json) as T, cursor: newest.id }
}

/** A channel's snapshot as this node holds it now. */
function read<T>(channel: Channel): ChannelSnapshot<T> {
  return fromNewest(channel.history.newest(), channel.keepLast)
}

/**
 * The newest message of a channel the node does not hold, read once from the log: no replica,
 * nothing followed, nothing counted toward `maxChannels`. Snapshots of one name at the same time
 * share a read, and past `maxSnapshotReads` reads in flight one more is refused at once. Rejects
 * with `ERR_BACKPLANE` when the log cannot be read, does not answer within `NEWEST_TIMEOUT`, or
 * is busy; with `ERR_CLOSED` when the server closed while the read was in flight.
 */
async function readNewest<T>(
  source: SnapshotSource,
  reads: NewestReads,
  isClosed: () => boolean,
  name: string,
): Promise<ChannelSnapshot<T>> {
  let message: StoredMessage | null
  try {
    message = await reads.read(name)
  } catch (cause) {
    if (isClosed()) throw closed(cause)
    // The backplane's own sentence (ERR_BACKPLANE, or ERR_CLOSED when it closed meanwhile).
    if (cause instanceof LiveServerError) throw cause
    throw new LiveServerError(
      'ERR_BACKPLANE',
      `The newest message of ${quote(name)} could not be read from the backplane; try again later`,
      { cause },
    )
  }
  // An answer that came after close() is not given: the server said it was done.
  if (isClosed()) throw closed()
  try {
    return fromNewest(message ?? undefined, source.keepLast(name))
  } catch (cause) {
    // An entry that is not JSON (written to the log by another tool, say), or a `channels`
    // function that threw: the log cannot be read as a snapshot, said as the backplane's error.
    throw new LiveServerError(
      'ERR_BACKPLANE',
      `The newest message of ${quote(name)} in the backplane could not be read as a snapshot`,
      { cause },
    )
  }
}

/**
 * The snapshot of `name`: at once on one node (`source` null). With a backplane: a channel the
 * node holds is read as it holds it, once loaded; one it does not hold is read once from the log
 * (`backplane.newest`), creating no replica, so that snapshots of names nobody uses never take
 * the room of real channels (`maxChannels`). A backplane without `newest` loads and follows the
 * channel, as a subscribe would (it lingers, and counts toward `maxChannels`). Rejects with
 * `ERR_BACKPLANE` when the log cannot be read or `maxSnapshotReads` reads are in flight. A bad name is `ERR_INVALID_CHANNEL`, a closed
 * server `ERR_CLOSED`: thrown on one node, a rejection with a backplane.
 *
 * @example
 * ```ts
 * takeSnapshot(hub, () => false, 'prices', null) // { data: { AAPL: 191.2 }, cursor: '1700000000000-3' }
 * ```
 */
export function takeSnapshot<T>(
  hub: Hub,
  isClosed: () => boolean,
  name: string,
  source: SnapshotSource | null,
): ChannelSnapshot<T> | Promise<ChannelSnapshot<T>> {
  const check = (): void => {
    if (isClosed()) throw closed()
    if (!isChannelName(name)) {
      throw new LiveServerError(
        'ERR_INVALID_CHANNEL',
        `Cannot take a snapshot of ${quote(name)}: channel names are 1 to 256 of letters, digits and _ . : @ ~ -`,
      )
    }
  }
  if (source === null) {
    check()
    return read(hub.peek(name))
  }
  try {
    check()
    const { reads } = source
    if (reads !== null && !source.held(name)) return readNewest(source, reads, isClosed, name)
    const loading = hub.prepare([{ channel: name, lastEventId: null }])
    if (loading === null) return Promise.resolve(read(hub.peek(name)))
    return loading.then((channels) => read(channels.get(name) ?? hub.peek(name)))
  } catch (error) {
    return Promise.reject(error)
  }
}
