import { History, type Replay, type StoredMessage } from './history'

/** Where a subscriber starts. */
export interface SubscribeOptions {
  /** The id of the last message the subscriber has, to resume after; `null` for none. */
  lastEventId: string | null
  /**
   * For a subscriber without an id: how many of the latest messages to replay first (a chat
   * room's recent lines). 0 or absent for none; more than history holds gives what it holds.
   */
  replay?: number
}

/** A replay, and the id the subscriber now stands at. */
export interface Subscription extends Replay {
  /** The id of the last message replayed, else the id resumed from, else the channel's newest. */
  cursor: string
  /**
   * Whether the subscriber must be told its cursor: it gave no id and got no backlog. A cursor
   * sent beside a backlog would be newer than the backlog, and the client would drop it as seen.
   */
  tellCursor: boolean
}

/** Something that receives a channel's messages: one client connection on some transport. */
export interface Subscriber {
  /** Delivers one message. Must not throw; a connection that cannot keep up closes itself. */
  deliver(message: StoredMessage): void
  /**
   * Ends this subscriber's connection: the channel's log was lost (a backplane's store restarted
   * without its data), so its client must resume, and learn of the gap, rather than go on.
   */
  close(): void
}

const DIGITS = /^\d+$/

/**
 * The backlog a client asks for (`?replay=<n>` or a frame's `"replay": n`): a positive integer
 * (history caps it later), else 0: anything else is ignored, as the protocol says.
 */
export function backlogSize(raw: unknown): number {
  // A string of digits too long for a number is simply very large: capped, not ignored.
  const count =
    typeof raw === 'string' && DIGITS.test(raw)
      ? Math.min(Number(raw), Number.MAX_SAFE_INTEGER)
      : raw
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) return 0
  return count
}

/** One named stream: its history and the connections that follow it. */
export class Channel {
  readonly history: History
  private readonly subscribers = new Set<Subscriber>()

  constructor(
    readonly name: string,
    historySize: number,
    /** Called when the last subscriber left a channel that never had a message: forget it. */
    private readonly onIdle?: (channel: Channel) => void,
    /**
     * A latest-value channel (`keep: 'last'`): a fresh subscriber is given the newest message at
     * once, and history holds at least that one message even with `history: 0`.
     */
    readonly keepLast = false,
  ) {
    this.history = new History(keepLast ? Math.max(1, historySize) : historySize)
  }

  /** Stores a message and hands it to every subscriber. */
  publish(message: StoredMessage): void {
    this.history.push(message)
    for (const subscriber of this.subscribers) subscriber.deliver(message)
  }

  /**
   * Subscribes from `options.lastEventId` (or with a backlog): the replay is computed and the
   * subscriber added in one synchronous step, so no message can fall between the two.
   */
  subscribe(subscriber: Subscriber, options: SubscribeOptions): Subscription {
    this.subscribers.add(subscriber)
    return this.replay(options)
  }

  /** What a subscriber starting from `options` is owed, without subscribing it. */
  replay({ lastEventId, replay = 0 }: SubscribeOptions): Subscription {
    if (lastEventId === null) {
      // A latest-value channel answers a fresh subscriber as a backlog of one: the newest
      // message with its id (so it resumes after it), in the same step as subscribing.
      const count = this.keepLast ? Math.max(1, replay) : replay
      const messages = count > 0 ? this.history.last(count) : []
      const cursor = messages.at(-1)?.id ?? this.history.cursor()
      return { messages, gap: false, cursor, tellCursor: messages.length === 0 }
    }
    const replayed = this.history.since(lastEventId)
    // After a gap the id asked for means nothing here: the client stands where history ends.
    const fallback = replayed.gap ? this.history.cursor() : lastEventId
    return { ...replayed, cursor: replayed.messages.at(-1)?.id ?? fallback, tellCursor: false }
  }

  /** How many subscribers follow the channel now. */
  get subscriberCount(): number {
    return this.subscribers.size
  }

  /**
   * The channel's log was lost: history is forgotten (any resume is a gap until it is filled
   * again) and every subscriber's connection is ended, so that its client resumes and is told.
   */
  lose(): void {
    this.history.lose()
    const ended = [...this.subscribers]
    this.subscribers.clear()
    for (const subscriber of ended) subscriber.close()
  }

  unsubscribe(subscriber: Subscriber): void {
    if (!this.subscribers.delete(subscriber)) return
    // A name a client made up, and nobody published on, must not stay in memory forever.
    if (this.subscribers.size === 0 && this.history.length === 0) this.onIdle?.(this)
  }
}
