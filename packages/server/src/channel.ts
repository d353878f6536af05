import { History, type Replay, type StoredMessage } from './history'

/** A replay, and the id the subscriber now stands at. */
export interface Subscription extends Replay {
  /** The id of the last message replayed, else the id resumed from, else the channel's newest. */
  cursor: string
}

/** Something that receives a channel's messages: one client connection on some transport. */
export interface Subscriber {
  /** Delivers one message. Must not throw; a connection that cannot keep up closes itself. */
  deliver(message: StoredMessage): void
}

/** One named stream: its history and the connections that follow it. */
export class Channel {
  readonly history: History
  readonly subscribers = new Set<Subscriber>()

  constructor(
    readonly name: string,
    historySize: number,
    /** Called when the last subscriber left a channel that never had a message: forget it. */
    private readonly onIdle?: (channel: Channel) => void,
  ) {
    this.history = new History(historySize)
  }

  /** Stores a message and hands it to every subscriber. */
  publish(message: StoredMessage): void {
    this.history.push(message)
    for (const subscriber of this.subscribers) subscriber.deliver(message)
  }

  /**
   * Subscribes from `lastEventId`: the replay is computed and the subscriber added in one
   * synchronous step, so no message can fall between the two.
   */
  subscribe(subscriber: Subscriber, lastEventId: string | null): Subscription {
    this.subscribers.add(subscriber)
    return this.replay(lastEventId)
  }

  /** What a subscriber resuming from `lastEventId` is owed, without subscribing it. */
  replay(lastEventId: string | null): Subscription {
    if (lastEventId === null) return { messages: [], gap: false, cursor: this.history.cursor() }
    const replay = this.history.since(lastEventId)
    // After a gap the id asked for means nothing here: the client stands where history ends.
    const fallback = replay.gap ? this.history.cursor() : lastEventId
    return { ...replay, cursor: replay.messages.at(-1)?.id ?? fallback }
  }

  unsubscribe(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber)
    // A name a client made up, and nobody published on, must not stay in memory forever.
    if (this.subscribers.size === 0 && this.history.length === 0) this.onIdle?.(this)
  }
}
