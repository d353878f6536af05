import type { StoredMessage } from './history'

/** How one connection writes, and how it tells how much is still waiting in its socket. */
export interface OutboxTarget {
  /** Writes one message. */
  send(message: StoredMessage): void
  /** Bytes written but not yet handed to the network. */
  buffered(): number
  /** The client is too far behind: end the connection (it resumes from history later). */
  overflow(): void
  /**
   * Messages started waiting: arrange for `pump` once the socket drains. Targets with a `drain`
   * event pump on it and need nothing here.
   */
  wait?(): void
}

/**
 * Flow control for one connection. Messages are written while the socket's buffer stays under
 * `highWater`; past that they wait, as references to the shared stored messages, and go out as
 * the socket drains (`pump`). A long replay therefore never sits in memory as one huge string,
 * and a client that falls more than `maxBacklog` messages behind is cut off rather than buffered
 * without end.
 */
export class Outbox {
  private backlog: StoredMessage[] = []
  private head = 0

  constructor(
    private readonly target: OutboxTarget,
    private readonly highWater: number,
    private readonly maxBacklog: number,
  ) {}

  /** Messages waiting to be written. */
  get waiting(): number {
    return this.backlog.length - this.head
  }

  push(message: StoredMessage): void {
    if (this.waiting === 0 && this.target.buffered() <= this.highWater) {
      this.target.send(message)
      return
    }
    if (this.waiting >= this.maxBacklog) {
      this.target.overflow()
      return
    }
    this.backlog.push(message)
    if (this.waiting === 1) this.target.wait?.()
  }

  /** Writes what waits, as far as the socket takes it; call it when the socket drained. */
  pump(): void {
    while (this.head < this.backlog.length && this.target.buffered() <= this.highWater) {
      this.target.send(this.backlog[this.head++] as StoredMessage)
    }
    if (this.head === this.backlog.length) {
      this.backlog = []
      this.head = 0
    }
  }
}
