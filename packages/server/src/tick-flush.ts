/** Something that gathers writes during a tick and puts them out at its end. */
export interface TickWriter {
  /** Writes what was gathered. Should not throw (a throw is dropped: it cannot stop the others). */
  flush(): void
}

let due: TickWriter[] = []
let scheduled = false

function flushDue(): void {
  scheduled = false
  const writers = due
  due = []
  for (const writer of writers) {
    try {
      writer.flush()
    } catch {
      // A writer handles its own failures (an outbox tells its connection); whatever escapes
      // must not keep the writers after it from writing, on this tick or any later one.
    }
  }
}

/**
 * Has `writer.flush()` called once the current tick's synchronous work is done (a microtask), in
 * the order writers asked. Every publish of one synchronous burst, on every connection, is
 * written by one pass: one microtask per tick for the whole server, not one per connection.
 *
 * @example
 * ```ts
 * flushAtEndOfTick({ flush: () => socket.write(gathered.join('')) })
 * ```
 */
export function flushAtEndOfTick(writer: TickWriter): void {
  due.push(writer)
  if (scheduled) return
  scheduled = true
  queueMicrotask(flushDue)
}
