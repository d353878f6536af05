import type { InspectEvent } from '@livedata/core'

/** One event of a {@link Timeline}, numbered in the order it arrived (from 1). */
export interface TimelineEntry {
  readonly seq: number
  readonly event: InspectEvent
}

/** The last `limit` events a client reported, and how many older ones were let go. */
export interface Timeline {
  /** The events kept, oldest first. */
  readonly entries: readonly TimelineEntry[]
  /** How many events were let go to stay within `limit`. */
  readonly dropped: number
  /** The most events kept. */
  readonly limit: number
  /** Adds `event` at the end (dropping the oldest past `limit`) and returns its entry. */
  push(event: InspectEvent): TimelineEntry
  /** Forgets every event (the count of dropped ones too). */
  clear(): void
}

/**
 * Creates a bounded timeline: a burst of events never grows it past `limit`; the oldest go first
 * and are counted in `dropped`.
 *
 * @example
 * ```ts
 * const timeline = createTimeline(1000)
 * client.inspect((event) => timeline.push(event))
 * console.log(timeline.entries.length, timeline.dropped)
 * ```
 */
export function createTimeline(limit = 1000): Timeline {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`limit: a whole number from 1, not ${limit}`)
  }
  let entries: TimelineEntry[] = []
  let dropped = 0
  let seq = 0
  return {
    get entries() {
      return entries
    },
    get dropped() {
      return dropped
    },
    limit,
    push(event) {
      const entry = { seq: ++seq, event }
      entries.push(entry)
      if (entries.length > limit) {
        entries.shift()
        dropped++
      }
      return entry
    },
    clear() {
      entries = []
      dropped = 0
    },
  }
}
