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
  return {
    isOnline: () =>
      typeof navigator === 'undefined' || typeof navigator.onLine !== 'boolean' || navigator.onLine,
    isVisible: () => typeof document === 'undefined' || document.visibilityState !== 'hidden',
    subscribe(listener) {
      if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') {
        return () => {}
      }
      window.addEventListener('online', listener)
      window.addEventListener('offline', listener)
      document.addEventListener('visibilitychange', listener)
      return () => {
        window.removeEventListener('online', listener)
        window.removeEventListener('offline', listener)
        document.removeEventListener('visibilitychange', listener)
      }
    },
  }
}
