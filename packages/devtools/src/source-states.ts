import type { InspectEvent, LiveDataError } from '@livedata/core'

type StateEvent = Extract<InspectEvent, { type: 'state' }>

/**
 * What the panel knows of one source (one channel), from the events it heard. The leading tab
 * of a `crossTab` client hears two per channel: its own source's, and the shared connection's
 * (`shared: true`, its relay's), each with its own state.
 */
export interface SourceState {
  readonly channel: string
  /** Whether this is the connection the tabs share (events with `shared: true`), not the tab's own source. */
  readonly shared: boolean
  readonly status: StateEvent['status']
  readonly transport: StateEvent['transport']
  readonly attempt: number
  /** Where the source resumes from, from its last `cursor` event. */
  readonly lastEventId: string | null
  /** The code of the source's current error, `null` when it has none. */
  readonly errorCode: LiveDataError['code'] | null
  readonly errorMessage: string | null
  /**
   * Sends waiting for their answer (`queued` or `sent`, not yet `acked` or `failed`), by key:
   * an event heard twice counts once, a `sent` after the answer does not count again, and it
   * starts over at 0 when the source is `closed`.
   */
  readonly pendingSends: number
  /** The time of the last event about this source. */
  readonly updated: number
}

/** This tab's part in the connection the tabs share, as the last `tab` event said. */
export type TabRole = Extract<InspectEvent, { type: 'tab' }>['role']

/** The live state of every source of a client, folded from its inspect events. */
export interface SourceStates {
  /** One state per channel (two if shared), in the order they were first heard of. */
  readonly sources: readonly SourceState[]
  /** This tab's role, `null` until a `tab` event. */
  readonly tab: TabRole | null
  /** Folds `event` in; returns whether anything shown changed. */
  apply(event: InspectEvent): boolean
}

/**
 * Creates the per-source state a panel shows, updated by each inspect event: `state` sets the
 * status, transport, attempt and error; `cursor` the last event id; `send` counts the sends
 * waiting; `tab` the tab's role. Events with `shared: true` go to a state of their own.
 *
 * @example
 * ```ts
 * const states = createSourceStates()
 * client.inspect((event) => states.apply(event))
 * for (const s of states.sources) console.log(s.channel, s.status, s.transport)
 * ```
 */
export function createSourceStates(): SourceStates {
  const byKey = new Map<string, SourceState>()
  // Per source, the sends waiting; of all sources, the last 500 answered (by source and id).
  const pending = new Map<string, Set<string>>()
  const answered = new Set<string>()
  let tab: TabRole | null = null
  return {
    get sources() {
      return [...byKey.values()]
    },
    get tab() {
      return tab
    },
    apply(event) {
      if (event.type === 'tab') {
        tab = event.role
        return true
      }
      const { channel } = event
      const shared = event.shared === true
      // `true…` or `false…`: the shared connection's state apart from the tab's own source's.
      const key = shared + channel
      const known = byKey.get(key)
      // A send makes no row: a previous page's, flushed from here, may be on a channel this page
      // never opens (the timeline shows it all the same).
      if (event.type === 'send' && !known) return false
      const ids = pending.get(key) ?? new Set<string>()
      pending.set(key, ids)
      let next: Partial<SourceState> = {}
      if (event.type === 'state') {
        const { status, transport, attempt, error } = event
        const errorCode = error?.code ?? null
        next = { status, transport, attempt, errorCode, errorMessage: error?.message ?? null }
        // Gone: its sends, if it still had any, are answered to nobody the panel hears.
        if (status === 'closed') ids.clear()
      } else if (event.type === 'cursor') {
        next = { lastEventId: event.lastEventId }
      } else if (event.type === 'send') {
        const id = `${key} ${event.id}`
        if (event.state === 'acked' || event.state === 'failed') {
          ids.delete(id)
          answered.add(id)
          if (answered.size > 500) answered.delete(answered.values().next().value as string)
        } else if (event.state === 'queued' || !answered.has(id)) {
          // `queued` (again) starts it over; a `sent` heard after its answer does not.
          answered.delete(id)
          ids.add(id)
        }
      } else if (known) {
        return false
      }
      byKey.set(key, {
        ...(known ?? {
          channel,
          shared,
          status: 'connecting',
          transport: null,
          attempt: 0,
          lastEventId: null,
          errorCode: null,
          errorMessage: null,
        }),
        ...next,
        pendingSends: ids.size,
        updated: event.time,
      })
      return true
    },
  }
}
