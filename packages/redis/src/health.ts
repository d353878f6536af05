import { type BackplaneHealth, LiveServerError } from '@livedata/server/backplane'

/** Whether Redis is reachable, told once per change: see {@link redisHealth}. */
export interface RedisHealth {
  /** `up`, or `down` since when. */
  get(): BackplaneHealth
  /** A command or the connection failed to reach Redis: the first time, reports the outage. */
  down(cause: unknown): void
  /**
   * Redis answered: after an outage, reports that it is back, once every connection is (so that
   * connections coming back one after the other do not report a second outage).
   */
  up(): void
}

/**
 * Tracks whether Redis is reachable and tells `report` once per outage (`ERR_BACKPLANE`,
 * "Redis is unreachable …") and once when it ends ("Redis is reachable again"). `report` is
 * looked up on each change, so the server's host can be given after creation; it must not throw
 * (errors it throws are ignored). `ready` says whether every connection is back.
 *
 * @example
 * ```ts
 * const health = redisHealth(() => host?.report)
 * health.down(error) // reports once; health.get() is { state: 'down', since }
 * ```
 */
export function redisHealth(
  report: () => ((error: LiveServerError) => void) | undefined,
  ready: () => boolean = () => true,
  now: () => number = Date.now,
): RedisHealth {
  let state: BackplaneHealth = { state: 'up', since: now() }
  const tell = (error: LiveServerError): void => {
    try {
      report()?.(error)
    } catch {
      // The host's report never throws; if one does, the backplane goes on.
    }
  }
  return {
    get: () => state,
    down(cause) {
      if (state.state === 'down') return
      state = { state: 'down', since: now() }
      const reason = cause instanceof Error ? `: ${cause.message}` : ''
      tell(
        new LiveServerError(
          'ERR_BACKPLANE',
          `Redis is unreachable${reason}; publishes fail and followed channels wait until it is back`,
          { cause },
        ),
      )
    },
    up() {
      if (state.state === 'up' || !ready()) return
      state = { state: 'up', since: now() }
      tell(new LiveServerError('ERR_BACKPLANE', 'Redis is reachable again'))
    },
  }
}
