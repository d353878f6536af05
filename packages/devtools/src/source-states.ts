import type { InspectEvent, LiveDataError } from '@livedata/core'

type StateEvent = Extract<InspectEvent, { type: 'state' }>

/** What the panel knows of one source (one channel), from the events it heard. */
export interface SourceState {
  readonly channel: string
  readonly status: StateEvent['status']
  readonly transport: StateEvent['transport']
  readonly attempt: number
  /** Where the source resumes from, from its last `cursor` event. */
  readonly lastEventId: string | null
  /** The code of the source's current error, `null` when it has none. */
  readonly errorCode: LiveDataError['code'] | null
  readonly errorMessage: string | null
  /** Sends waiting for their answer (`queued` or `sent`, not yet `acked` or `failed`). */
  readonly pendingSends: number
  /** The time of the last event about this source. */
  readonly updated: number
}

/** This tab's part in the connection the tabs share, as the last `tab` event said. */
export type TabRole = Extract<InspectEvent, { type: 'tab' }>['role']

/** The live state of every source of a client, folded from its inspect events. */
export interface SourceStates {
  /** One state per channel, in the order the channels were first heard of. */
  readonly sources: readonly SourceState[]
  /** This tab's role, `null` until a `tab` event. */
  readonly tab: TabRole | null
  /** Folds `event` in; returns whether anything shown changed. */
  apply(event: InspectEvent): boolean
}

/**
 * Creates the per-source state a panel shows, updated by each inspect event: `state` sets the
 * status, transport, attempt and error; `cursor` the last event id; `send` counts the sends
 * waiting; `tab` the tab's role.
 *
 * @example
 * ```ts
 * const states = createSourceStates()
 * client.inspect((event) => states.apply(event))
 * for (const s of states.sources) console.log(s.channel, s.status, s.transport)
 * ```
 */
export function createSourceStates(): SourceStates {
  const byChannel = new Map<string, SourceState>()
  const pending = new Map<string, Set<string>>()
  let tab: TabRole | null = null
  const current = (channel: string, time: number): SourceState =>
    byChannel.get(channel) ?? {
      channel,
      status: 'connecting',
      transport: null,
      attempt: 0,
      lastEventId: null,
      errorCode: null,
      errorMessage: null,
      pendingSends: 0,
      updated: time,
    }
  const set = (channel: string, next: Partial<SourceState>, time: number): true => {
    byChannel.set(channel, { ...current(channel, time), ...next, updated: time })
    return true
  }
  return {
    get sources() {
      return [...byChannel.values()]
    },
    get tab() {
      return tab
    },
    apply(event) {
      switch (event.type) {
        case 'tab':
          tab = event.role
          return true
        case 'state':
          return set(
            event.channel,
            {
              status: event.status,
              transport: event.transport,
              attempt: event.attempt,
              errorCode: event.error?.code ?? null,
              errorMessage: event.error?.message ?? null,
            },
            event.time,
          )
        case 'cursor':
          return set(event.channel, { lastEventId: event.lastEventId }, event.time)
        case 'send': {
          const ids = pending.get(event.channel) ?? new Set<string>()
          pending.set(event.channel, ids)
          if (event.state === 'acked' || event.state === 'failed') ids.delete(event.id)
          else ids.add(event.id)
          return set(event.channel, { pendingSends: ids.size }, event.time)
        }
        default:
          if (!byChannel.has(event.channel)) return set(event.channel, {}, event.time)
          return false
      }
    },
  }
}
