import type { Channel } from './channel'
import { LiveServerError } from './errors'
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

/** A channel's snapshot as this node holds it now. */
function read<T>(channel: Channel): ChannelSnapshot<T> {
  const newest = channel.keepLast ? channel.history.newest() : undefined
  if (newest === undefined) return { cursor: channel.history.cursor() }
  return { data: JSON.parse(newest.json) as T, cursor: newest.id }
}

/**
 * The snapshot of `name`: at once on one node (`shared` false); with a backplane (`shared`),
 * once the node has loaded the channel from the shared log (rejects with `ERR_BACKPLANE` when it
 * cannot). A bad name is `ERR_INVALID_CHANNEL`, a closed server `ERR_CLOSED`: thrown on one
 * node, a rejection with a backplane.
 *
 * @example
 * ```ts
 * takeSnapshot(hub, () => false, 'prices', false) // { data: { AAPL: 191.2 }, cursor: '1700000000000-3' }
 * ```
 */
export function takeSnapshot<T>(
  hub: Hub,
  isClosed: () => boolean,
  name: string,
  shared: boolean,
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
  if (!shared) {
    check()
    return read(hub.peek(name))
  }
  try {
    check()
    const loading = hub.prepare([{ channel: name, lastEventId: null }])
    if (loading === null) return Promise.resolve(read(hub.peek(name)))
    return loading.then((channels) => read(channels.get(name) ?? hub.peek(name)))
  } catch (error) {
    return Promise.reject(error)
  }
}
