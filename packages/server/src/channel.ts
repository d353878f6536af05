import { History, type Replay, type StoredMessage } from './history'

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
  subscribe(subscriber: Subscriber, lastEventId: string | null): Replay {
    const replay =
      lastEventId === null ? { messages: [], gap: false } : this.history.since(lastEventId)
    this.subscribers.add(subscriber)
    return replay
  }

  unsubscribe(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber)
  }
}
