import type { InspectEvent } from '@livedata/core'
import { type EventFilter, matches } from './filter'
import { createSourceStates, type SourceStates } from './source-states'
import { createTimeline, type Timeline, type TimelineEntry } from './timeline'

/** Options of {@link createDevtoolsModel}. */
export interface DevtoolsModelOptions {
  /** The most events kept; older ones are dropped and counted. Defaults to 1,000. */
  limit?: number
}

/** What a panel shows, without the DOM: the sources' states, the timeline and its filter. */
export interface DevtoolsModel {
  readonly states: SourceStates
  readonly timeline: Timeline
  /** The filter of the timeline; set it with {@link DevtoolsModel.setFilter}. */
  readonly filter: EventFilter
  /** Takes in one inspect event (pass it as `client.inspect`'s listener). */
  push(event: InspectEvent): void
  setFilter(filter: EventFilter): void
  /** The kept events that pass the filter, oldest first. */
  visible(): TimelineEntry[]
}

/**
 * Creates the model of a devtools panel: feed it a client's inspect events, read the sources'
 * states and the (bounded, filterable) timeline. It has no DOM: it runs, and is tested, in Node.
 *
 * @example
 * ```ts
 * const model = createDevtoolsModel({ limit: 500 })
 * const stop = client.inspect(model.push)
 * model.setFilter({ channel: 'prices' })
 * console.log(model.visible().map(({ event }) => event.type))
 * ```
 */
export function createDevtoolsModel(options: DevtoolsModelOptions = {}): DevtoolsModel {
  const states = createSourceStates()
  const timeline = createTimeline(options.limit ?? 1000)
  let filter: EventFilter = {}
  return {
    states,
    timeline,
    get filter() {
      return filter
    },
    push(event) {
      states.apply(event)
      timeline.push(event)
    },
    setFilter(next) {
      filter = next
    },
    visible() {
      return timeline.entries.filter(({ event }) => matches(event, filter))
    },
  }
}
