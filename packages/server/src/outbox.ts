import { flushAtEndOfTick, type TickWriter } from './tick-flush'

/** How one connection writes, and how it tells how much is still waiting in its socket. */
export interface OutboxTarget<T> {
  /** The text of one item: a message's frame in the connection's form, or a ready frame. */
  text(item: T): string
  /**
   * Writes the texts of one tick, in order: one write (a stream), one frame holding them all (a
   * WebSocket whose client reads batches), or one frame each. Should not throw; if it does,
   * `fail` is told, and every other connection's writes still go out.
   */
  write(texts: string[]): void
  /** `write` threw: the connection is broken, end it (its client resumes from its ids). */
  fail(error: unknown): void
  /** Bytes written but not yet handed to the network. */
  buffered(): number
  /** The client is too far behind: end the connection (it resumes from history later). */
  behind(): void
  /**
   * Items started waiting: arrange for `pump` once the socket drains. Targets with a `drain`
   * event pump on it and need nothing here.
   */
  wait?(): void
}

/**
 * Flow control and coalescing for one connection. Items are written while the socket's buffer,
 * with what this tick already gathered, stays under `highWater`; past that they wait, as
 * references to the shared stored messages, and go out as the socket drains (`pump`). A long
 * replay therefore never sits in memory as one huge string, and a client that falls more than
 * `maxBacklog` items behind is cut off rather than buffered without end.
 *
 * What is written within one tick is gathered and handed to the target once at its end, so a
 * burst of messages costs one write (and one frame, one parse, one render on the client) rather
 * than one each; ids and order are those of the items.
 */
/**
 * Gathered texts handed over at once, before the end of the tick, once they reach this many
 * characters: a long synchronous burst reaches the socket in pieces, as it would without
 * coalescing, so the socket's own buffer (and the kernel's) takes its share of the budget and the
 * tick never holds more than this, whatever the burst.
 */
const GATHER_LIMIT = 128 * 1024

export class Outbox<T> implements TickWriter {
  /** What waits, from `head` on; `null` while nothing does (idle connections hold no array). */
  private backlog: T[] | null = null
  private head = 0
  // Items allowed to wait beyond `maxBacklog` until as many were written (see `prepay`).
  private credit = 0
  /** Texts gathered this tick, `null` when none (idle connections hold no array). */
  private gathered: string[] | null = null
  private gatheredSize = 0

  constructor(
    private readonly target: OutboxTarget<T>,
    private readonly highWater: number,
    private readonly maxBacklog: number,
  ) {}

  /** Items waiting to be written. */
  get waiting(): number {
    return this.backlog === null ? 0 : this.backlog.length - this.head
  }

  /** Whether the socket holds more than `highWater` or items wait: a writer over its budget. */
  get full(): boolean {
    return this.waiting > 0 || !this.hasRoom()
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
    if (this.waiting === 0 && this.hasRoom()) {
      this.write(item)
      return
    }
    if (this.waiting >= this.maxBacklog + this.credit) {
      this.target.behind()
      return
    }
    this.backlog ??= []
    this.backlog.push(item)
    if (this.waiting === 1) this.target.wait?.()
  }

  /** Writes what waits, as far as the socket takes it; call it when the socket drained. */
  pump(): void {
    const backlog = this.backlog
    if (backlog === null) return
    while (this.head < backlog.length && this.hasRoom()) {
      this.write(backlog[this.head++] as T)
    }
    // `write` never calls back into the outbox: `backlog` is still this outbox's array here.
    if (this.head === backlog.length) {
      this.backlog = null
      this.head = 0
    }
  }

  /** Hands what this tick gathered to the target; the end of the tick calls it. */
  flush(): void {
    this.handOver()
    // Items held back only by this tick's texts: the socket may have taken them all without
    // ever filling (no drain event would come), so carry on now.
    if (this.waiting > 0) this.pump()
  }

  /** Hands the gathered texts to the target, now. Never calls back into `pump`. */
  private handOver(): void {
    const texts = this.gathered
    if (texts === null) return
    this.gathered = null
    this.gatheredSize = 0
    try {
      this.target.write(texts)
    } catch (error) {
      this.target.fail(error)
    }
  }

  /** Room in the byte budget: the socket's buffer and this tick's gathered texts together. */
  private hasRoom(): boolean {
    return this.target.buffered() + this.gatheredSize <= this.highWater
  }

  private write(item: T): void {
    if (this.credit > 0) this.credit--
    const text = this.target.text(item)
    this.gatheredSize += text.length
    if (this.gathered === null) {
      this.gathered = [text]
      flushAtEndOfTick(this)
    } else this.gathered.push(text)
    if (this.gatheredSize >= GATHER_LIMIT) this.handOver()
  }
}
