import { reportError } from './report-error'
import type { LiveTimers } from './types'

/** An immutable snapshot of `S` with listeners, batched notifications and a lingering stop. */
export interface Store<S extends object> {
  /** The latest values, updated in place; read them, change them only through `update`. */
  readonly state: Readonly<S>
  /** The first snapshot, frozen: what a server render shows. */
  readonly initial: Readonly<S>
  /** The current snapshot: the same object until something changed. */
  getSnapshot(): Readonly<S>
  /** Applies a patch; listeners hear of it once per tick, and only if a value changed. */
  update(patch: Partial<S>): void
  /** Adds a listener and starts the resource; returns the unsubscribe. */
  subscribe(listener: () => void): () => void
  /** Whether anyone subscribes. */
  subscribed(): boolean
  /** Stops the resource now, whoever subscribes; a pending lingering stop is cancelled. */
  release(): void
}

/**
 * Creates the store of one source: `initial` (frozen in place) is the first snapshot;
 * `getSnapshot` gives a frozen copy made only when read after a change (a burst of 1,000
 * messages makes one object); listeners hear of a burst in one tick once. Every subscribe calls
 * `start` (a no-op while the resource runs); `stop` runs `linger` ms after the last unsubscribe
 * if nobody came back, so that React StrictMode's unmount-remount or a route change reuses it.
 * (Positional arguments: this runs in every bundle, and option names do not minify.)
 *
 * @example
 * ```ts
 * const store = createStore({ count: 0 }, globalTimers, 1000, open, close)
 * const unsubscribe = store.subscribe(() => console.log(store.getSnapshot().count))
 * store.update({ count: 1 })
 * ```
 */
export function createStore<S extends object>(
  initial: S,
  timers: LiveTimers,
  linger: number,
  start: () => void,
  stop: () => void,
): Store<S> {
  const state = { ...initial }
  const frozen = Object.freeze(initial)
  const listeners = new Set<() => void>()
  let snapshot: Readonly<S> = frozen
  let stale = false
  let notifyScheduled = false
  let stopTimer: unknown = null

  const notify = (): void => {
    notifyScheduled = false
    for (const listener of [...listeners]) {
      try {
        listener()
      } catch (error) {
        // One failing subscriber must not starve the others, nor stop the stream.
        reportError(error)
      }
    }
  }

  return {
    state,
    initial: frozen,
    getSnapshot() {
      if (stale) {
        snapshot = Object.freeze({ ...state })
        stale = false
      }
      return snapshot
    },
    update(patch) {
      let changed = false
      for (const field in patch) if (patch[field] !== state[field]) changed = true
      if (!changed) return
      Object.assign(state, patch)
      stale = true
      // A burst of messages within one tick becomes one notification, hence one render.
      if (!notifyScheduled) {
        notifyScheduled = true
        queueMicrotask(notify)
      }
    },
    subscribe(listener) {
      listeners.add(listener)
      timers.clearTimeout(stopTimer)
      start()
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return
        timers.clearTimeout(stopTimer)
        stopTimer = timers.setTimeout(() => {
          if (listeners.size === 0) stop()
        }, linger)
      }
    },
    subscribed: () => listeners.size > 0,
    release() {
      timers.clearTimeout(stopTimer)
      stop()
    },
  }
}
