import { LiveServerError } from './errors'
import type { Hub } from './hub'

/**
 * Sends a heartbeat on every open connection each `interval` ms (none when it is 0); returns the
 * function that stops them. One broken connection is closed and reported; the others go on.
 *
 * @example
 * ```ts
 * const stop = startHeartbeats(hub, 15_000)
 * stop()
 * ```
 */
export function startHeartbeats(hub: Hub, interval: number): () => void {
  if (interval <= 0) return () => {}
  const timer = setInterval(() => {
    for (const connection of hub.connections) {
      try {
        connection.heartbeat()
      } catch (cause) {
        // One broken connection must not stop the others' heartbeats, nor the process.
        connection.close()
        hub.report(new LiveServerError('ERR_INTERNAL', 'a heartbeat failed', { cause }), {
          client: false,
        })
      }
    }
  }, interval)
  timer.unref()
  return () => clearInterval(timer)
}
