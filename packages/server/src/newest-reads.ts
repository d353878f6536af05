import { LiveServerError } from './errors'
import type { StoredMessage } from './history'
import { quote } from './quote'

/**
 * How long a one-off read of a channel's newest message may take, in ms, before the snapshots
 * waiting on it reject with `ERR_BACKPLANE` (as a load from the log that never comes does).
 */
export const NEWEST_TIMEOUT = 10_000

/** The most reads of a channel's newest message a server has in flight at once, by default. */
export const MAX_NEWEST_READS = 64

/** The one-off reads of channels' newest messages a server makes, bounded; see {@link createNewestReads}. */
export interface NewestReads {
  /**
   * The newest message of `name` in the log (`null` for none): the read in flight for it if
   * there is one, else a new one. Rejects with `ERR_BACKPLANE` at once when `limit` reads are in
   * flight, and when the read fails or does not answer within {@link NEWEST_TIMEOUT}.
   */
  read(name: string): Promise<StoredMessage | null>
  /** How many reads the backplane has not answered yet (timed-out ones included). */
  readonly inFlight: number
}

/**
 * Bounds the reads `live.snapshot` makes of channels the node does not follow, so that a route
 * snapshotting whatever name a caller sends cannot pile reads onto the backplane: snapshots of
 * one name at the same time share one read, and at most `limit` reads are in flight; one more
 * is refused at once (`ERR_BACKPLANE`, busy) rather than queued, since a queue would only move
 * the pile into memory. A read that timed out still counts until the backplane answers it: the
 * bound is on the reads the backplane holds, not on the snapshots waiting. The timeout's timer
 * is cleared when the read ends and never keeps the process alive.
 *
 * @example
 * ```ts
 * const reads = createNewestReads((channel) => log.newest(channel), 64) // log: a Backplane with newest
 * await reads.read('prices') // { id: '1700000000000-3', channel: 'prices', event: undefined, json: '191.2' }
 * ```
 */
export function createNewestReads(
  newest: (channel: string) => Promise<StoredMessage | null>,
  limit: number,
): NewestReads {
  /** The read of each name that has not settled yet, shared by its snapshots. */
  const shared = new Map<string, Promise<StoredMessage | null>>()
  let inFlight = 0

  /** One read of the backplane, with its deadline; counted until the backplane answers. */
  const start = (name: string): Promise<StoredMessage | null> => {
    let answer: Promise<StoredMessage | null>
    try {
      answer = Promise.resolve(newest(name))
    } catch (cause) {
      answer = Promise.reject(cause)
    }
    inFlight++
    const release = (): void => {
      inFlight--
    }
    answer.then(release, release)
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
      // A read still waiting must not keep a process that is otherwise done alive.
      timer.unref?.()
    })
    const read = Promise.race([answer, deadline])
    const forget = (): void => {
      clearTimeout(timer)
      if (shared.get(name) === read) shared.delete(name)
    }
    read.then(forget, forget)
    return read
  }

  return {
    read(name) {
      const current = shared.get(name)
      if (current !== undefined) return current
      if (inFlight >= limit) {
        return Promise.reject(
          new LiveServerError(
            'ERR_BACKPLANE',
            `Cannot read the newest message of ${quote(name)}: the backplane is busy, with ${inFlight} reads in flight (maxSnapshotReads is ${limit}); try again later`,
          ),
        )
      }
      const read = start(name)
      shared.set(name, read)
      return read
    },
    get inFlight() {
      return inFlight
    },
  }
}
