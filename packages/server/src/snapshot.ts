import type { Backplane } from './backplane'
import type { Channel } from './channel'
import { LiveServerError } from './errors'
import type { StoredMessage } from './history'
import { ORIGIN_ID } from './history'
import { type Hub, isChannelName } from './hub'
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
  /** The server's backplane. */
  backplane: Backplane
  /** Whether the node holds (follows) the channel now: then it is read as the node has it. */
  held(name: string): boolean
  /** Whether the channel keeps its latest value (`keep: 'last'`). */
  keepLast(name: string): boolean
}

/**
 * How long a one-off read of a channel's newest message may take, in ms, before the snapshot
 * rejects with `ERR_BACKPLANE` (as a load from the log that never comes does).
 */
const NEWEST_TIMEOUT = 10_000

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
 * nothing followed, nothing counted toward `maxChannels`. Rejects with `ERR_BACKPLANE` when the
 * log cannot be read, or does not answer within {@link NEWEST_TIMEOUT}.
 */
async function readNewest<T>(
  source: SnapshotSource,
  newest: (channel: string) => Promise<StoredMessage | null>,
  name: string,
): Promise<ChannelSnapshot<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new LiveServerError(
            'ERR_BACKPLANE',
            `The backplane did not give the newest message of ${quote(name)} within ${NEWEST_TIMEOUT} ms; try again later`,
          ),
        ),
      NEWEST_TIMEOUT,
    )
  })
  try {
    const message = await Promise.race([newest(name), deadline])
    return fromNewest(message ?? undefined, source.keepLast(name))
  } catch (cause) {
    // The backplane's own sentence (ERR_BACKPLANE, or ERR_CLOSED when it closed meanwhile).
    if (cause instanceof LiveServerError) throw cause
    throw new LiveServerError(
      'ERR_BACKPLANE',
      `The newest message of ${quote(name)} could not be read from the backplane; try again later`,
      { cause },
    )
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The snapshot of `name`: at once on one node (`source` null). With a backplane: a channel the
 * node holds is read as it holds it, once loaded; one it does not hold is read once from the log
 * (`backplane.newest`), creating no replica, so that snapshots of names nobody uses never take
 * the room of real channels (`maxChannels`). A backplane without `newest` loads and follows the
 * channel, as a subscribe would (it lingers, and counts toward `maxChannels`). Rejects with
 * `ERR_BACKPLANE` when the log cannot be read. A bad name is `ERR_INVALID_CHANNEL`, a closed
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
    if (isClosed()) {
      throw new LiveServerError('ERR_CLOSED', 'Cannot take a snapshot: the live server is closed')
    }
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
    const newest = source.backplane.newest?.bind(source.backplane)
    if (newest !== undefined && !source.held(name)) return readNewest(source, newest, name)
    const loading = hub.prepare([{ channel: name, lastEventId: null }])
    if (loading === null) return Promise.resolve(read(hub.peek(name)))
    return loading.then((channels) => read(channels.get(name) ?? hub.peek(name)))
  } catch (error) {
    return Promise.reject(error)
  }
}
