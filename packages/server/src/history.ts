import { compareIds } from './ids'

/** One published message, serialized once and shared by every subscriber. */
export interface StoredMessage {
  readonly id: string
  /** The channel it was published on. */
  readonly channel: string
  /** The event name, `undefined` for the default `message`. */
  readonly event: string | undefined
  /** The payload as JSON text. */
  readonly json: string
  /** The text/event-stream frame, built on first use. */
  sseFrame?: string
  /** The JSON object `{"id","event","data"}` of the polling and WebSocket transports. */
  jsonFrame?: string
  /** The WebSocket frame. */
  wsFrame?: string
  /** The script-safe argument of the iframe transport's `p(...)`. */
  iframeArgument?: string
  /** The text/event-stream frame of a multiplexed stream (`event: <channel>[/<event>]`). */
  multiSseFrame?: string
  /** The script-safe argument of a multiplexed iframe document's `p(...)` (with `"c"`). */
  multiIframeArgument?: string
}

/**
 * The id that means "before the first message": resuming from it replays all of history, with a
 * gap only if history already dropped something. Fresh subscribers of an empty channel get it.
 */
export const ORIGIN_ID = '0-0'

/** What history can give back from an id. */
export interface Replay {
  /** The messages after the id, oldest first. */
  messages: StoredMessage[]
  /** True when the id is no longer (or never was) in history: messages may have been missed. */
  gap: boolean
}

/**
 * A bounded, ordered buffer of the latest messages of one channel: a ring, so that publishing
 * never copies and the oldest message falls out when it is full.
 */
export class History {
  private readonly ring: Array<StoredMessage | undefined>
  private start = 0
  private size = 0
  /** How many messages fell out of the ring. */
  private dropped = 0

  constructor(readonly capacity: number) {
    // Grown as messages come, so a channel nobody publishes on costs next to nothing.
    this.ring = []
  }

  get length(): number {
    return this.size
  }

  push(message: StoredMessage): void {
    if (this.capacity === 0) {
      this.dropped++
      return
    }
    if (this.size < this.capacity) {
      this.ring[(this.start + this.size) % this.capacity] = message
      this.size++
    } else {
      this.ring[this.start] = message
      this.start = (this.start + 1) % this.capacity
      this.dropped++
    }
  }

  /**
   * Replaces what the ring holds with `messages` (oldest first; only the newest `capacity` are
   * kept), as a replica loaded from a shared log: `more` says the log holds older ones, so
   * resuming from before them is a gap.
   */
  fill(messages: readonly StoredMessage[], more: boolean): void {
    this.start = 0
    this.size = 0
    this.ring.length = 0
    this.dropped = more ? 1 : 0
    for (const message of messages) this.push(message)
  }

  /**
   * Forgets everything, as lost: every id resumed from afterwards (the origin included) is a
   * gap, until a `fill` says what the log holds again.
   */
  lose(): void {
    this.fill([], true)
  }

  private at(index: number): StoredMessage {
    return this.ring[(this.start + index) % this.capacity] as StoredMessage
  }

  /** The oldest message kept, if any. */
  oldest(): StoredMessage | undefined {
    return this.size > 0 ? this.at(0) : undefined
  }

  /** The newest message, if any. */
  newest(): StoredMessage | undefined {
    return this.size > 0 ? this.at(this.size - 1) : undefined
  }

  /** The messages published after `id`, and whether history still reached back to it. */
  since(id: string): Replay {
    // Ids grow strictly, so the ring is sorted: binary search for the first id above `id`.
    let low = 0
    let high = this.size
    while (low < high) {
      const mid = (low + high) >>> 1
      if (compareIds(this.at(mid).id, id) <= 0) low = mid + 1
      else high = mid
    }
    const found = low > 0 && this.at(low - 1).id === id
    const messages: StoredMessage[] = []
    for (let i = low; i < this.size; i++) messages.push(this.at(i))
    const gap = id === ORIGIN_ID ? this.dropped > 0 : !found
    return { messages, gap }
  }

  /** The last `count` messages (fewer if history holds fewer), oldest first. */
  last(count: number): StoredMessage[] {
    const messages: StoredMessage[] = []
    for (let i = Math.max(0, this.size - count); i < this.size; i++) messages.push(this.at(i))
    return messages
  }

  /** Where a fresh subscriber stands: the newest id, or {@link ORIGIN_ID} when there is none. */
  cursor(): string {
    return this.newest()?.id ?? ORIGIN_ID
  }
}
