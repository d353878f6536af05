/** How one connection writes, and how it tells how much is still waiting in its socket. */
export interface OutboxTarget<T> {
  /** Writes one item (a message, or a ready frame). */
  send(item: T): void
  /** Bytes written but not yet handed to the network. */
  buffered(): number
  /** The client is too far behind: end the connection (it resumes from history later). */
  overflow(): void
  /**
   * Items started waiting: arrange for `pump` once the socket drains. Targets with a `drain`
   * event pump on it and need nothing here.
   */
  wait?(): void
}

/**
 * Flow control for one connection. Items are written while the socket's buffer stays under
 * `highWater`; past that they wait, as references to the shared stored messages, and go out as
 * the socket drains (`pump`). A long replay therefore never sits in memory as one huge string,
 * and a client that falls more than `maxBacklog` items behind is cut off rather than buffered
 * without end.
 */
export class Outbox<T> {
  private backlog: T[] = []
  private head = 0
  // Items allowed to wait beyond `maxBacklog` until as many were written (see `prepay`).
  private credit = 0

  constructor(
    private readonly target: OutboxTarget<T>,
    private readonly highWater: number,
    private readonly maxBacklog: number,
  ) {}

  /** Items waiting to be written. */
  get waiting(): number {
    return this.backlog.length - this.head
  }

  /** Whether the socket holds more than `highWater` or items wait: a writer over its budget. */
  get full(): boolean {
    return this.waiting > 0 || this.target.buffered() > this.highWater
  }

  /**
   * Lets `count` more items wait, until as many were written: a stream's opening replay (a
   * history per channel), pushed first and drained first, is never taken for a slow client, and
   * once it is out the stream is held to `maxBacklog` again.
   */
  prepay(count: number): void {
    this.credit += count
  }

  push(item: T): void {
    if (this.waiting === 0 && this.target.buffered() <= this.highWater) {
      this.write(item)
      return
    }
    if (this.waiting >= this.maxBacklog + this.credit) {
      this.target.overflow()
      return
    }
    this.backlog.push(item)
    if (this.waiting === 1) this.target.wait?.()
  }

  /** Writes what waits, as far as the socket takes it; call it when the socket drained. */
  pump(): void {
    while (this.head < this.backlog.length && this.target.buffered() <= this.highWater) {
      this.write(this.backlog[this.head++] as T)
    }
    if (this.head === this.backlog.length) {
      this.backlog = []
      this.head = 0
    }
  }

  private write(item: T): void {
    if (this.credit > 0) this.credit--
    this.target.send(item)
  }
}
