import type { LiveEnvironment, LiveTimers } from './types'

/** A connection that fell back and may move up: what the prober needs of it. */
export interface Upgradable {
  /** The index, in the client's preference order, of the transport it is open on. */
  readonly index: number
  /**
   * Tries transport `index` beside the open one and switches to it if it opens; calls `done`
   * once with the outcome: `null` when the probe had no verdict (torn down with the connection),
   * and `false` before returning when it cannot try now; neither counts as a failed probe.
   */
  upgrade(index: number, done: (ok: boolean | null) => void): void
}

/** When probes run: the first delay, doubling after each failure up to the last. */
export interface UpgradeOptions {
  /** The delay before the first probe after a fallback, in ms. Default 10 000. */
  minDelay?: number
  /** The longest delay between probes, in ms. Default 300 000 (5 minutes). */
  maxDelay?: number
}

/** The prober of one client. */
export interface UpgradeProber {
  /** Whether `connection` is open (on the transport at `connection.index`), after any change. */
  track(connection: Upgradable, open: boolean): void
}

/**
 * Moves a client's connections back up after a fallback. While any channel's connection is open
 * on a transport other than the first it could use, the prober waits (from `minDelay`, doubling
 * after each failed probe, up to `maxDelay`), then probes one better transport through one of
 * them: never more than one probe at a time, and none while the page is hidden or the browser
 * offline (it waits for both to come back). When a probe succeeds, every other connection on a
 * worse transport moves up to the same one at once (they share its link: one socket).
 *
 * @example
 * ```ts
 * const prober = createUpgradeProber(timers, environment, { minDelay: 10_000 })
 * prober.track(connection, true)
 * ```
 */
export function createUpgradeProber(
  timers: LiveTimers,
  environment: LiveEnvironment,
  options: UpgradeOptions = {},
): UpgradeProber {
  const minDelay = options.minDelay ?? 10_000
  const maxDelay = Math.max(minDelay, options.maxDelay ?? 300_000)
  const fallen = new Set<Upgradable>()
  let failures = 0
  let timer: unknown = null
  let probing = false
  let stopWatching: (() => void) | null = null

  const idle = (): void => {
    timers.clearTimeout(timer)
    timer = null
    stopWatching?.()
    stopWatching = null
  }

  const arm = (): void => {
    if (timer !== null || probing || stopWatching || fallen.size === 0) return
    const delay = Math.min(maxDelay, minDelay * 2 ** failures)
    timer = timers.setTimeout(() => {
      timer = null
      fire()
    }, delay)
  }

  const fire = (): void => {
    if (fallen.size === 0) return
    if (!environment.isOnline() || !environment.isVisible()) {
      // Paused: a probe now would fail or waste a hidden tab's battery. Resumed when both are back.
      stopWatching = environment.subscribe(() => {
        if (!environment.isOnline() || !environment.isVisible()) return
        idle()
        fire()
      })
      return
    }
    // The connection furthest down probes; each failure tries the next better transport, so a
    // transport blocked for good (a proxy that refuses upgrades) does not hide one that works.
    const worst = [...fallen].reduce((a, b) => (b.index > a.index ? b : a))
    const target = failures % worst.index
    probing = true
    let returned = false
    worst.upgrade(target, (ok) => {
      probing = false
      // Answered before upgrade() returned: it could not try now (it is no longer open, say).
      // That is no failure of the better transport: the backoff stays, the next round decides.
      if (ok === null || (!ok && !returned)) return arm()
      if (!ok) {
        failures++
        return arm()
      }
      failures = 0
      for (const connection of [...fallen]) {
        if (connection.index > target) connection.upgrade(target, () => {})
      }
      arm()
    })
    returned = true
  }

  return {
    track(connection, open) {
      if (open && connection.index > 0) fallen.add(connection)
      else fallen.delete(connection)
      if (fallen.size === 0) {
        idle()
        failures = 0
      } else arm()
    },
  }
}
