// A guard, not a pause: a wait ends on the event it waits for. Past this, it fails saying what
// it waited for and what it saw instead, rather than leaving the test to time out in silence.
export const GUARD_MS = 5_000

/**
 * Items in arrival order, read one at a time by tests that wait for them: what a connection
 * under test said, parsed. `end` records why nothing more will come.
 */
export class EventQueue<T> {
  private readonly items: T[] = []
  private readonly seen: T[] = []
  private waiter: (() => void) | null = null
  private ended: string | null = null

  push(item: T): void {
    this.items.push(item)
    this.seen.push(item)
    this.wake()
  }

  /** Nothing more will come; a wait for more fails with `reason`. */
  end(reason: string): void {
    if (this.ended === null) this.ended = reason
    this.wake()
  }

  /** Every item pushed so far, read or not. */
  all(): readonly T[] {
    return this.seen
  }

  /**
   * Takes the next item that `accept` takes out of the queue (the others stay, for other
   * reads); rejects naming `what` when the queue ends or nothing comes within the guard.
   */
  async next<S extends T>(what: string, accept: (item: T) => item is S): Promise<S>
  async next(what: string, accept?: (item: T) => boolean): Promise<T>
  async next(what: string, accept: (item: T) => boolean = () => true): Promise<T> {
    const deadline = Date.now() + GUARD_MS
    for (;;) {
      const at = this.items.findIndex(accept)
      if (at >= 0) return this.items.splice(at, 1)[0] as T
      if (this.ended !== null) throw new Error(`Waited for ${what}, but ${this.ended}`)
      const left = deadline - Date.now()
      if (left <= 0 || !(await this.arrival(left))) {
        const last = this.seen.slice(-3).map((item) => JSON.stringify(item))
        throw new Error(
          `Waited ${GUARD_MS} ms for ${what}; last seen: ${last.join(' ') || 'nothing'}`,
        )
      }
    }
  }

  /** The next `count` items that `accept` takes, in order. */
  async take<S extends T>(count: number, what: string, accept: (item: T) => item is S): Promise<S[]>
  async take(count: number, what: string, accept?: (item: T) => boolean): Promise<T[]>
  async take(count: number, what: string, accept?: (item: T) => boolean): Promise<T[]> {
    const taken: T[] = []
    while (taken.length < count) {
      taken.push(await this.next(`${what} (${taken.length + 1} of ${count})`, accept))
    }
    return taken
  }

  /** Resolves `true` on the next push or end, `false` after `ms`. */
  private arrival(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null
        resolve(false)
      }, ms)
      this.waiter = () => {
        clearTimeout(timer)
        resolve(true)
      }
    })
  }

  private wake(): void {
    const waiter = this.waiter
    this.waiter = null
    waiter?.()
  }
}
