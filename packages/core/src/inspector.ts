import type { LiveDataError } from './errors'
import { reportError } from './report-error'
import type { LiveStatus, TabRole, TransportName } from './types'

/**
 * What `client.inspect(listener)` hears: one event for every step a client takes, stamped with
 * the time (`Date.now()`) and, except for `tab`, the channel (the source's name) it concerns.
 *
 * - `state`: the source's connection changed status, transport, attempt or error (and, once,
 *   each source's current state when inspecting starts).
 * - `try`: a transport is being opened.
 * - `fallback`: transport `from` failed without ever opening (`error` says how); `to` is tried
 *   next at once.
 * - `backoff`: a reconnect waits `delay` ms (attempt `attempt`) before the next round.
 * - `probe`: after a fallback, a better transport is tried beside the open one: `started`, then
 *   `upgraded` (it carries the channel now), `failed`, or `abandoned` (the connection it ran
 *   beside ended first).
 * - `cursor`: where the source resumes from moved (a message, or the server's cursor).
 * - `gap`: the server's history no longer reached back to the cursor; `replay`: whether what it
 *   still holds comes next.
 * - `send`: a send, by its idempotency key: `queued` when called, `sent` when handed to the
 *   socket or the POST (again after a lost answer), then `acked` or `failed`.
 * - `tab`: this tab's part in the connection the tabs share (`crossTab`) changed.
 *
 * With `crossTab`, the leading tab also hears the steps of the connection all tabs share (its
 * relay's, for the same channels): those events carry `shared: true`, beside the tab's own
 * source's (which rides that connection through the `tab` transport).
 */
export type InspectEvent = (
  | {
      type: 'state'
      channel: string
      status: LiveStatus
      transport: TransportName | null
      attempt: number
      error: LiveDataError | null
      time: number
    }
  | { type: 'try'; channel: string; transport: TransportName; time: number }
  | {
      type: 'fallback'
      channel: string
      from: TransportName
      to: TransportName
      error: LiveDataError | null
      time: number
    }
  | { type: 'backoff'; channel: string; attempt: number; delay: number; time: number }
  | {
      type: 'probe'
      channel: string
      transport: TransportName
      result: 'started' | 'upgraded' | 'failed' | 'abandoned'
      time: number
    }
  | { type: 'cursor'; channel: string; lastEventId: string | null; time: number }
  | { type: 'gap'; channel: string; replay: boolean; time: number }
  | {
      type: 'send'
      channel: string
      id: string
      state: 'queued' | 'sent' | 'acked' | 'failed'
      error?: LiveDataError
      time: number
    }
  | { type: 'tab'; role: TabRole; time: number }
) & {
  /** Reported by the leading tab's relay: a step of the connection the tabs share. */
  shared?: true
}

/** The kinds of {@link InspectEvent}. */
export type InspectEventType = InspectEvent['type']

/** A function `client.inspect()` calls with every {@link InspectEvent}. */
export type InspectListener = (event: InspectEvent) => void

/** An event as the code that sees it reports it: the inspector stamps the time (if it has none). */
export type InspectReport = InspectEvent extends infer E
  ? E extends InspectEvent
    ? Omit<E, 'time'>
    : never
  : never

/**
 * Where a client's parts report to. `emit` is set only while someone inspects, so a report
 * written `hook.emit?.({ ... })` builds nothing when nobody does.
 */
export interface InspectHook {
  emit?: (report: InspectReport) => void
}

/**
 * Tells the inspector behind `hook` (if any) how the send `id` on `channel` stands: the source
 * that made it reports `queued`, `sent`, then its answer; a later page that flushes a stored one
 * reports `sent` and its answer. Call it under `__DEV__`, so that the production build drops it.
 *
 * @example
 * ```ts
 * if (__DEV__) reportSend(config.connection.inspect, 'chat', idempotencyKey, 'acked')
 * ```
 */
export const reportSend = (
  hook: InspectHook | undefined,
  channel: string,
  id: string,
  state: Extract<InspectEvent, { type: 'send' }>['state'],
  error?: LiveDataError,
): void => hook?.emit?.({ type: 'send', channel, id, state, error })

/** The listeners of one client's `inspect()`, and the hook its parts report to. */
export interface Inspector {
  readonly hook: InspectHook
  /**
   * Adds `listener`, first calling it with `current()` (what stands now); returns the function
   * that removes it.
   */
  add(listener: InspectListener, current: () => InspectReport[]): () => void
}

/**
 * Creates the inspector of one client. Each event is stamped when it happens and delivered in a
 * microtask, in order: a listener never runs inside the client's own steps, so one that calls
 * `client.close()` or reads a snapshot sees the step done. A listener that throws is reported
 * (`reportError`) and the others, and the client, go on.
 *
 * @example
 * ```ts
 * const inspector = createInspector()
 * const stop = inspector.add((event) => console.log(event.type), () => [])
 * inspector.hook.emit?.({ type: 'tab', role: 'leader' })
 * ```
 */
export function createInspector(): Inspector {
  const listeners = new Set<InspectListener>()
  const hook: InspectHook = {}
  // Events not yet delivered, and to whom: those listening when each happened.
  let queue: Array<[InspectEvent, InspectListener[]]> = []
  const deliver = (): void => {
    const due = queue
    queue = []
    for (const [event, to] of due) {
      for (const listener of to) {
        // Stopped since: it hears nothing more.
        if (!listeners.has(listener)) continue
        try {
          listener(event)
        } catch (error) {
          reportError(error)
        }
      }
    }
  }
  const enqueue = (report: InspectReport, to: InspectListener[]): void => {
    if (!queue.length) queueMicrotask(deliver)
    // An event passed on from another client (a tab's relay) keeps its time.
    queue.push([{ time: Date.now(), ...report } as InspectEvent, to])
  }
  return {
    hook,
    add(listener, current) {
      listeners.add(listener)
      for (const report of current()) enqueue(report, [listener])
      hook.emit = (report) => enqueue(report, [...listeners])
      return () => {
        listeners.delete(listener)
        if (!listeners.size) hook.emit = undefined
      }
    },
  }
}
