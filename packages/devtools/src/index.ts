export { describeEvent } from './describe-event'
export {
  DEVTOOLS_TAG,
  defineDevtools,
  type InspectableClient,
  type LiveDataDevtoolsElement,
} from './element'
export { EVENT_TYPES, type EventFilter, matches } from './filter'
export { formatTime } from './format-time'
export { createDevtoolsModel, type DevtoolsModel, type DevtoolsModelOptions } from './model'
export { createReport, type DevtoolsReport, type ReportedEvent } from './report'
export { type SerializedError, serializeError } from './serialize-error'
export { type ShowDevtoolsOptions, showDevtools } from './show-devtools'
export {
  createSourceStates,
  type SourceState,
  type SourceStates,
  type TabRole,
} from './source-states'
export { createTimeline, type Timeline, type TimelineEntry } from './timeline'
