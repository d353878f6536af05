import type { ServerTransport } from '@livedata/server'
import { type Control, controlOf } from './control-client'

/** A running server under test, as `start()` resolves it. */
export interface ConformanceTarget {
  /** Its origin, e.g. `http://127.0.0.1:3000`: `/live` and `/control/*` are served there. */
  url: string
  /** Stops it (and its process, for a runtime in a child process). */
  close(): Promise<void> | void
}

/** What every check of one target shares. */
export interface SuiteContext {
  /** The target's origin (set once it started). */
  readonly url: string
  /** Its control API. */
  readonly control: Control
  /** The transports it offers. */
  readonly transports: readonly ServerTransport[]
  /** A channel name no other check of this run uses. */
  channel(label: string): string
  /** Cuts `held` (a subscription, a socket) at the end of the current test. */
  hold<T extends { cut(): void }>(held: T): T
}

/** Creates the context filled in by `setTarget` once `start()` resolved. */
export function createContext(transports: readonly ServerTransport[]): SuiteContext & {
  setTarget(target: ConformanceTarget): void
  cutAll(): void
} {
  let target: ConformanceTarget | null = null
  let control: Control | null = null
  const held: Array<{ cut(): void }> = []
  const run = Math.random().toString(36).slice(2, 8)
  let count = 0
  const started = (): ConformanceTarget => {
    if (!target) throw new Error('The target did not start')
    return target
  }
  return {
    get url() {
      return started().url
    },
    get control() {
      started()
      return control as Control
    },
    transports,
    channel: (label) => `${label}-${run}-${++count}`,
    hold(one) {
      held.push(one)
      return one
    },
    setTarget(started) {
      target = started
      control = controlOf(started.url)
    },
    cutAll() {
      for (const one of held.splice(0)) one.cut()
    },
  }
}
