/** What an {@link Inbox} hands its frames to, and how it holds the peer back. */
export interface InboxTarget<T> {
  /** Handles one frame; the next waits until it settles. */
  handle(item: T): Promise<void>
  /** `handle` threw or rejected: the server's fault. */
  fail(error: unknown): void
  /** Stop reading from the peer (the socket's TCP window closes: the peer waits, not us). */
  pause(): void
  /** Read from the peer again. */
  resume(): void
  /** The peer went far past the limits although paused: cut it. */
  overflow(): void
  /**
   * Everything was handled, nothing waits and the peer is not paused: the inbox holds nothing
   * worth keeping, and a target that wants idle peers small may drop it (and make a new one for
   * the next frame).
   */
  idle?(): void
}

/** When an {@link Inbox} holds the peer back. */
export interface InboxLimits {
  /** Frames waiting at which the peer is paused; it resumes once at most half wait. */
  frames: number
  /** Bytes waiting at which the peer is paused; it resumes once at most half wait. */
  bytes: number
  /** Bytes waiting past which the peer is cut; see {@link Inbox}. */
  hardBytes: number
}

/**
 * What a waiting frame costs beyond its bytes (its entry in the queue): so that a flood of empty
 * frames counts too.
 */
export const FRAME_COST = 64

/**
 * The frames of one peer, handled one after the other, in order: a handler may be async (an
 * `authorize` asking a database), and an unsubscribe must not overtake the subscribe before it.
 *
 * Backpressure instead of a cut: when `frames` frames or `bytes` bytes wait, the peer is paused,
 * so an honest client that sends in bursts only waits, and resumes when half of it is handled.
 * Once paused, a peer can only add the frames already in hand when the pause came (the rest of
 * the chunk being parsed, plus the one frame it completed): at most one frame and one read of
 * the socket past the limits. `hardBytes` sits well above that, so it is reached only if pausing
 * did not stop the peer; then it is cut rather than buffered without end.
 */
export class Inbox<T> {
  /** What waits, from `head` on; `null` while nothing does (idle sockets stay small). */
  private entries: Array<{ item: T; cost: number } | undefined> | null = null
  private head = 0
  private cost = 0
  private running = false
  private stopped = false
  private held = false

  constructor(
    private readonly target: InboxTarget<T>,
    private readonly limits: InboxLimits,
  ) {}

  /** Frames waiting, the one being handled included. */
  get waiting(): number {
    return this.entries === null ? 0 : this.entries.length - this.head
  }

  /** Bytes waiting (with {@link FRAME_COST} per frame), the frame being handled included. */
  get bytes(): number {
    return this.cost
  }

  /** Whether the peer is paused. */
  get paused(): boolean {
    return this.held
  }

  /** Queues a frame of `bytes` bytes. */
  push(item: T, bytes: number): void {
    if (this.stopped) return
    const cost = bytes + FRAME_COST
    this.cost += cost
    if (this.cost > this.limits.hardBytes) {
      this.stop()
      this.target.overflow()
      return
    }
    this.entries ??= []
    this.entries.push({ item, cost })
    if (!this.held && (this.waiting >= this.limits.frames || this.cost >= this.limits.bytes)) {
      this.held = true
      this.target.pause()
    }
    if (!this.running) {
      this.running = true
      // Never inside the caller's stack: the socket's parser is still emitting frames.
      queueMicrotask(() => void this.run())
    }
  }

  /** Drops what waits and handles nothing more. */
  stop(): void {
    this.stopped = true
    this.entries = null
    this.head = 0
    this.cost = 0
  }

  private async run(): Promise<void> {
    let entries = this.entries
    while (!this.stopped && entries !== null && this.head < entries.length) {
      const entry = entries[this.head] as { item: T; cost: number }
      try {
        await this.target.handle(entry.item)
      } catch (error) {
        try {
          this.target.fail(error)
        } catch {
          // Nothing is left to tell; the next frame still gets its turn.
        }
      }
      // Stopped meanwhile: `entries` is gone, and so is everything it counted.
      if (this.stopped || this.entries !== entries) break
      entries[this.head++] = undefined
      this.cost -= entry.cost
      if (this.head > 1024 && this.head * 2 > entries.length) {
        entries = entries.slice(this.head)
        this.entries = entries
        this.head = 0
      }
      const { frames, bytes } = this.limits
      if (this.held && this.waiting <= frames / 2 && this.cost <= bytes / 2) {
        this.held = false
        this.target.resume()
      }
    }
    if (!this.stopped && this.entries !== null && this.head === this.entries.length) {
      this.entries = null
      this.head = 0
    }
    this.running = false
    if (!this.stopped && this.entries === null && !this.held) this.target.idle?.()
  }
}
