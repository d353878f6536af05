import type { InspectEvent, InspectEventType } from '@livedata/core'

/** Every kind of inspect event, in the order the panel lists them. */
export const EVENT_TYPES: readonly InspectEventType[] = [
  'state',
  'try',
  'fallback',
  'backoff',
  'probe',
  'cursor',
  'gap',
  'send',
  'tab',
]

/** Which events a timeline shows. */
export interface EventFilter {
  /** The kinds shown; every kind when absent. */
  readonly types?: ReadonlySet<InspectEventType>
  /**
   * Shown only if the event's channel contains this text (any case). Events with no channel
   * (`tab`) are shown only while it is empty.
   */
  readonly channel?: string
}

/**
 * Whether `event` passes `filter`.
 *
 * @example
 * ```ts
 * matches(event, { types: new Set(['try', 'fallback', 'probe']), channel: 'price' })
 * ```
 */
export function matches(event: InspectEvent, filter: EventFilter): boolean {
  if (filter.types && !filter.types.has(event.type)) return false
  const text = filter.channel?.trim().toLowerCase()
  if (!text) return true
  return event.type !== 'tab' && event.channel.toLowerCase().includes(text)
}
