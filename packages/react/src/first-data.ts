import type { LiveSource } from '@livedata/core'

// One wait per source, so per client and channel (the client keeps one source per channel, whatever
// the options: keyed by the options' identity, inline options would make a new promise per render).
// A suspended component keeps no state between its tries: this is where its promise lives.
const waits = new WeakMap<object, Promise<void>>()

/**
 * A promise that settles once `source` has data (`data` is not `undefined`) or is closed (a final
 * error, or the client closed): what a suspended render waits for. The same promise until it
 * settles, so that a render tried again while waiting waits on the same one.
 *
 * The wait subscribes to the source, so it connects with nobody mounted yet. It lets go once there
 * is data (the component's own subscription takes over within the client's `disconnectDelay`,
 * which the source lingers). Closed by a final error, it keeps its subscription (no connection,
 * only a listener) until the source starts again: a `client.reconnect()` restarts only sources
 * someone subscribes to, which is what lets an error boundary's retry find data after a login.
 *
 * @example
 * ```ts
 * if (source.getSnapshot().data === undefined) throw firstData(source)
 * ```
 */
export function firstData(
  source: Pick<LiveSource<unknown>, 'subscribe' | 'getSnapshot'>,
): Promise<void> {
  let wait = waits.get(source)
  if (!wait) {
    let closed = false
    wait = new Promise<void>((resolve) => {
      const unsubscribe = source.subscribe(() => {
        const { data, status } = source.getSnapshot()
        if (status === 'closed') closed = true
        else if (data === undefined && !closed) return
        // There is data, or a closed source started again (by `reconnect()`, say).
        else unsubscribe()
        if (waits.get(source) === wait) waits.delete(source)
        resolve()
      })
    })
    waits.set(source, wait)
  }
  return wait
}
