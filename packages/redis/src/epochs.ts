import { randomBytes } from 'node:crypto'

type Send = (args: string[]) => Promise<unknown>

/**
 * A new epoch value: the time and random bytes, unique enough that a stream recreated after a
 * loss never gets the epoch of the one before.
 *
 * @example
 * ```ts
 * newEpoch() // 'm3k9x2a1b2c3d4'
 * ```
 */
export const newEpoch = (): string => `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`

/**
 * The channel's epoch (`key` is its epoch key), read only (`GET`): what a follow remembers, to
 * tell later whether the stream is still the one it loaded. `''` when the channel has none yet
 * (nothing was ever published on it): following a channel writes nothing to Redis.
 *
 * @example
 * ```ts
 * const epoch = await readEpoch(send, 'livedata:epoch:prices')
 * ```
 */
export async function readEpoch(send: Send, key: string): Promise<string> {
  const epoch = await send(['GET', key])
  return epoch === null || epoch === undefined ? '' : String(epoch)
}

/** The epochs a publisher already made sure of: see {@link epochGuard}. */
export interface EpochGuard {
  /** Sets the channel's epoch (`SET NX`) unless this guard did lately on this connection. */
  ensure(channel: string, key: string): Promise<void>
  /** Forgets every channel: after an error or a reconnection (Redis may have lost the keys). */
  forget(): void
}

/**
 * Makes sure each channel a publisher writes has an epoch, with one `SET NX` per channel per
 * connection rather than one per publish. It remembers the `capacity` channels used last
 * (10,000 by default; one published on after that costs one `SET NX` more), so its memory is
 * bounded however many channels are published on. Call `forget()` on any error or
 * reconnection: a Redis restarted without persistence lost the keys.
 *
 * @example
 * ```ts
 * const epochs = epochGuard(send)
 * await epochs.ensure('prices', channelKeys(prefix, 'prices').epoch)
 * ```
 */
export function epochGuard(send: Send, capacity = 10_000): EpochGuard {
  // A Map keeps insertion order: re-inserting on use makes its first key the least recent.
  const done = new Map<string, true>()
  // One SET NX in flight per channel, which every publish of the channel meanwhile awaits: they
  // then go on in the order they were called (a publish called later, once the epoch is known,
  // can never overtake one still waiting for it), so the log's order is the order of the calls.
  const pending = new Map<string, Promise<void>>()
  return {
    async ensure(channel, key) {
      if (done.delete(channel)) {
        done.set(channel, true)
        return
      }
      let setting = pending.get(channel)
      if (setting === undefined) {
        setting = send(['SET', key, newEpoch(), 'NX']).then(
          () => {
            pending.delete(channel)
            done.set(channel, true)
            if (done.size > capacity) {
              const oldest = done.keys().next()
              if (!oldest.done) done.delete(oldest.value)
            }
          },
          (error: unknown) => {
            pending.delete(channel)
            throw error
          },
        )
        pending.set(channel, setting)
      }
      await setting
    },
    forget() {
      done.clear()
    },
  }
}
