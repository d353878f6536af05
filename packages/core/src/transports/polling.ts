import { LiveDataError } from '../errors'
import type { TransportContext, TransportDefinition, TransportHandlers } from '../types'
import { get, subjectOf, withParam, withResume } from './http'

/** The answer of @livedata/server to a poll; see docs/protocol.md. */
interface PollAnswer {
  cursor?: string
  gap?: boolean
  retry?: number
  messages?: Array<{ id: string; event?: string; data: unknown }>
}

/**
 * The loop both polling transports share: ask, hand over what came, wait (or not), ask again —
 * the next request is only ever scheduled after the answer, so slow answers never pile up.
 */
function pollLoop(
  context: TransportContext,
  handlers: TransportHandlers,
  long: boolean,
): { close(): void } {
  // One controller per request: a signal shared by thousands of requests collects a listener
  // from each of them.
  let controller = new AbortController()
  const name = long ? 'long-polling' : 'polling'
  const { timers, environment } = context
  let ended = false
  let opened = false
  let timer: unknown = null
  let stopWatching: (() => void) | null = null
  let cursor = context.lastEventId
  let etag: string | null = null
  let lastText: string | null = null

  const end = (error?: LiveDataError): void => {
    if (ended) return
    close()
    handlers.onClose(error)
  }
  const close = (): void => {
    ended = true
    controller.abort()
    timers.clearTimeout(timer)
    stopWatching?.()
  }

  const requestUrl = (): string => {
    if (!context.channel) return context.url
    return withResume(withParam(context.url, 'transport', name), context, cursor)
  }

  const deliver = (text: string): void => {
    if (!context.channel) {
      // A plain URL: each long-poll answer is a message; a short poll's only when it changed.
      if (long || text !== lastText) handlers.onMessage({ text, event: 'message', id: null })
      lastText = text
      return
    }
    const answer = JSON.parse(text) as PollAnswer
    if (typeof answer.retry === 'number') handlers.onRetry(answer.retry)
    if (answer.gap) handlers.onGap()
    for (const message of answer.messages ?? []) {
      handlers.onMessage({ value: message.data, event: message.event ?? 'message', id: message.id })
    }
    if (answer.cursor) {
      cursor = answer.cursor
      handlers.onCursor(cursor)
    }
  }

  const poll = async (): Promise<void> => {
    const url = requestUrl()
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (etag && !long) headers['If-None-Match'] = etag
    let response: Response
    try {
      controller = new AbortController()
      response = await get(context, url, headers, controller.signal, name)
    } catch (error) {
      return end(error as LiveDataError)
    }
    if (ended) return
    // Through, even if a long poll's answer is still held: the transport works here.
    if (!opened) {
      opened = true
      handlers.onOpen()
    }
    let text = ''
    try {
      text = await response.text()
    } catch (cause) {
      return end(new LiveDataError('ERR_CONNECTION_LOST', 'The answer broke off', { cause }))
    }
    if (ended) return
    handlers.onActivity()
    etag = response.headers.get('etag') ?? etag
    if (response.status === 200 && text !== '') {
      if (text.length > context.maxMessageSize) {
        // Asking again would bring the same answer: end, and let backoff pace the retries.
        return end(new LiveDataError('ERR_MESSAGE_TOO_LARGE', 'An answer was too large'))
      } else {
        try {
          deliver(text)
        } catch (cause) {
          // A channel answer that is not our JSON: the server is not @livedata's.
          return end(
            new LiveDataError(
              'ERR_PARSE',
              `The server did not answer a poll for ${subjectOf(context)} in JSON (${name})`,
              { cause, retryable: false },
            ),
          )
        }
      }
    }
    schedule()
  }

  const schedule = (): void => {
    if (ended) return
    if (long) {
      void poll()
      return
    }
    timer = timers.setTimeout(() => {
      timer = null
      if (context.pollWhenHidden || environment.isVisible()) return void poll()
      // Hidden: wait until the page is visible again, then poll at once.
      stopWatching = environment.subscribe(() => {
        if (!environment.isVisible() || ended) return
        stopWatching?.()
        stopWatching = null
        void poll()
      })
    }, context.interval)
  }

  void poll()
  return { close }
}

/**
 * Long polling: the server holds each request until there is data or its timeout, and the
 * client asks again at once. Against a plain URL, each answer (not 204) is a message.
 *
 * @example
 * ```ts
 * createLiveClient({ url: '/live', transports: ['long-polling'] })
 * ```
 */
export const longPolling: TransportDefinition = {
  name: 'long-polling',
  connect: (context, handlers) => pollLoop(context, handlers, true),
}

/**
 * Short polling: a request, then the next one `interval` ms after the answer; `ETag` and
 * `If-None-Match` make an unchanged answer a 304; paused while the page is hidden unless
 * `pollWhenHidden`. Against a plain JSON URL, each changed answer is a message.
 *
 * @example
 * ```ts
 * client.source('weather', { url: '/api/weather.json', transport: 'polling', interval: 60_000 })
 * ```
 */
export const polling: TransportDefinition = {
  name: 'polling',
  // Quiet between requests by design: silence is no sign of death here.
  heartbeat: false,
  connect: (context, handlers) => pollLoop(context, handlers, false),
}
