import type { LiveEnvironment, LiveTimers } from './types'

/** Global timers, looked up at call time so fake timers installed later still apply. */
export const globalTimers: LiveTimers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/**
 * The browser's online and visibility signals, read lazily so that creating a client during
 * server rendering touches no browser global. Outside a browser it is always online and visible.
 *
 * @example
 * ```ts
 * const env = browserEnvironment()
 * const stop = env.subscribe(() => console.log(env.isOnline(), env.isVisible()))
 * ```
 */
export function browserEnvironment(): LiveEnvironment {
  const g = globalThis as { navigator?: Navigator; document?: Document; window?: Window }
  return {
    isOnline: () => g.navigator?.onLine !== false,
    isVisible: () => g.document?.visibilityState !== 'hidden',
    subscribe(listener) {
      const events: Array<[EventTarget | undefined, string]> = [
        [g.window, 'online'],
        [g.window, 'offline'],
        [g.document, 'visibilitychange'],
      ]
      for (const [target, type] of events) target?.addEventListener?.(type, listener)
      return () => {
        for (const [target, type] of events) target?.removeEventListener?.(type, listener)
      }
    },
  }
}
