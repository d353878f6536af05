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
 * The channel's epoch (`key` is its epoch key), set first (`SET NX`) if it has none: what a
 * follow remembers, to tell later whether the stream is still the one it loaded. `''` if the
 * key vanished between the two commands (it then never matches again: the stream was lost).
 *
 * @example
 * ```ts
 * const epoch = await readEpoch(send, 'livedata:epoch:prices')
 * ```
 */
export async function readEpoch(send: Send, key: string): Promise<string> {
  let epoch = await send(['GET', key])
  if (epoch === null) {
    await send(['SET', key, newEpoch(), 'NX'])
    epoch = await send(['GET', key])
  }
  return epoch === null || epoch === undefined ? '' : String(epoch)
}

/** The epochs a publisher already made sure of: see {@link epochGuard}. */
export interface EpochGuard {
  /** Sets the channel's epoch (`SET NX`) unless this guard already did on this connection. */
  ensure(channel: string, key: string): Promise<void>
  /** Forgets every channel: after an error or a reconnection (Redis may have lost the keys). */
  forget(): void
}

/**
 * Makes sure each channel a publisher writes has an epoch, with one `SET NX` per channel per
 * connection rather than one per publish. Call `forget()` on any error or reconnection: a Redis
 * restarted without persistence lost the keys.
 *
 * @example
 * ```ts
 * const epochs = epochGuard(send)
 * await epochs.ensure('prices', channelKeys(prefix, 'prices').epoch)
 * ```
 */
export function epochGuard(send: Send): EpochGuard {
  const done = new Set<string>()
  return {
    async ensure(channel, key) {
      if (done.has(channel)) return
      await send(['SET', key, newEpoch(), 'NX'])
      done.add(channel)
    },
    forget() {
      done.clear()
    },
  }
}
