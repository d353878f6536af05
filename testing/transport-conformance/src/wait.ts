import type { ConformanceSnapshot, ConformanceSource } from './client'
import type { ConformanceServer } from './server'

// A guard, not a pause: waits end on the event they wait for. Past this, a wait fails saying
// what it waited for and what it saw instead of leaving the test to time out in silence.
const GUARD = 15_000

const describeSnapshot = (s: ConformanceSnapshot): string =>
  `status ${s.status}, ${s.data.length} messages, error ${s.error ? `${s.error.code} ${s.error.message}` : 'none'}`

/**
 * Resolves with the first snapshot of `source` that satisfies `predicate`, waiting for its
 * notifications; rejects naming `what` if none comes within 15 s.
 *
 * @example
 * ```ts
 * await waitForSnapshot(prices, (s) => s.status === 'open', 'the source to open')
 * ```
 */
export function waitForSnapshot(
  source: ConformanceSource,
  predicate: (snapshot: ConformanceSnapshot) => boolean,
  what: string,
): Promise<ConformanceSnapshot> {
  return new Promise((resolve, reject) => {
    if (predicate(source.getSnapshot())) return resolve(source.getSnapshot())
    const guard = setTimeout(() => {
      unsubscribe()
      reject(new Error(`Waited for ${what}; last: ${describeSnapshot(source.getSnapshot())}`))
    }, GUARD)
    const unsubscribe = source.subscribe(() => {
      const snapshot = source.getSnapshot()
      if (!predicate(snapshot)) return
      clearTimeout(guard)
      unsubscribe()
      resolve(snapshot)
    })
  })
}

/**
 * Resolves once `predicate` holds, checking on every change of the connections `server` holds;
 * rejects naming `what` if it does not within 15 s.
 *
 * @example
 * ```ts
 * await waitForServer(server, () => server.held.size === 0, 'every connection to end')
 * ```
 */
export function waitForServer(
  server: ConformanceServer,
  predicate: () => boolean,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (predicate()) return resolve()
    const guard = setTimeout(() => {
      stop()
      const held = [...server.held].map((c) => c.label).join(', ') || 'none'
      reject(new Error(`Waited for ${what}; connections held: ${held}`))
    }, GUARD)
    const stop = server.onChange(() => {
      if (!predicate()) return
      clearTimeout(guard)
      stop()
      resolve()
    })
  })
}
