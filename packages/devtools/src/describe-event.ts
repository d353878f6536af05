import type { InspectEvent } from '@livedata/core'

/**
 * The fields of an inspect event in a few words, for one line of a timeline (the type and
 * channel are shown beside it, the time too).
 *
 * @example
 * ```ts
 * describeEvent({ type: 'fallback', channel: 'prices', from: 'websocket', to: 'sse', error: null, time: 0 })
 * // 'websocket → sse'
 * ```
 */
export function describeEvent(event: InspectEvent): string {
  switch (event.type) {
    case 'state':
      return join(
        event.status,
        event.transport ? `on ${event.transport}` : '',
        event.attempt ? `attempt ${event.attempt}` : '',
        event.error ? `${event.error.code}: ${event.error.message}` : '',
      )
    case 'try':
      return event.transport
    case 'fallback':
      return join(`${event.from} → ${event.to}`, event.error ? event.error.code : '')
    case 'backoff':
      return `attempt ${event.attempt} in ${event.delay} ms`
    case 'probe':
      return `${event.transport} ${event.result}`
    case 'cursor':
      return event.lastEventId === null ? 'no cursor' : `lastEventId ${event.lastEventId}`
    case 'gap':
      return event.replay ? 'history lost, replaying what is left' : 'history lost, no replay'
    case 'send':
      return join(event.id, event.state, event.error ? event.error.code : '')
    case 'tab':
      return event.role
  }
}

const join = (...parts: string[]): string => parts.filter(Boolean).join(' ')
