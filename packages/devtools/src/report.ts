import type { InspectEvent, InspectEventType } from '@livedata/core'
import type { DevtoolsModel } from './model'
import { type SerializedError, serializeError } from './serialize-error'
import type { SourceState, TabRole } from './source-states'

/** An inspect event as a report carries it: its error, if any, spelled out. */
export type ReportedEvent = InspectEvent extends infer E
  ? E extends { error?: unknown }
    ? Omit<E, 'error'> & { error?: SerializedError | string | null }
    : E
  : never

/** What "Copy as JSON" copies: enough to attach to a bug report. */
export interface DevtoolsReport {
  /** When the report was made (ISO 8601). */
  createdAt: string
  userAgent: string
  tab: TabRole | null
  sources: SourceState[]
  /** The timeline's filter when copied; `events` holds every kept event regardless. */
  filter: { types: InspectEventType[] | null; channel: string }
  /** How many older events the timeline had let go. */
  dropped: number
  events: ReportedEvent[]
}

/**
 * Builds the bug-report JSON of a panel: the sources' states, the tab's role, the kept events
 * (errors as `{ name, code, message, … }`, not `{}`) and the browser's `userAgent`.
 *
 * @example
 * ```ts
 * const report = createReport(model, navigator.userAgent)
 * await navigator.clipboard.writeText(JSON.stringify(report, null, 2))
 * ```
 */
export function createReport(model: DevtoolsModel, userAgent: string): DevtoolsReport {
  const { types, channel } = model.filter
  return {
    createdAt: new Date().toISOString(),
    userAgent,
    tab: model.states.tab,
    sources: [...model.states.sources],
    filter: { types: types ? [...types] : null, channel: channel ?? '' },
    dropped: model.timeline.dropped,
    events: model.timeline.entries.map(({ event }) => reportEvent(event)),
  }
}

function reportEvent(event: InspectEvent): ReportedEvent {
  if (!('error' in event) || !event.error) return event as ReportedEvent
  return { ...event, error: serializeError(event.error) } as ReportedEvent
}
