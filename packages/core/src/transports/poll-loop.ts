import { LiveDataError } from '../errors'
import type { TransportContext } from '../types'
import { get } from './http'

/** How a polling transport polls: set on its factory (`pollingTransport({ interval })`). */
export interface PollingSettings {
  /** Short polling: ms between an answer and the next request. Default 2000. */
  interval?: number
  /** Short polling: whether to go on while the page is hidden. Default `false`. */
  pollWhenHidden?: boolean
}

/** What one polling loop asks and where its answers go. */
export interface PollLoopOptions extends PollingSettings {
  /** Long polling (ask again at once) or short (wait `interval`). */
  long: boolean
  /** The URL of the next request. */
  url(): string
  /** What errors name. */
  subject(): string
  /** The first answer was read (or a long poll is held): the transport works here. */
  onOpen(): void
  onActivity(): void
  /** An answer with a body (not a 304), within `maxMessageSize`; throws if it is not one. */
  onAnswer(text: string): void
  /** The loop ended with an error. Called once, never after `stop`. */
  onEnd(error: LiveDataError): void
}

/**
 * The wire both polling transports share: ask, hand over what came, wait (or not), ask again;
 * the next request is only ever scheduled after the answer, so slow answers never pile up. Short
 * polls send `If-None-Match` with the last `ETag` and pause while the page is hidden unless
 * `pollWhenHidden`. Returns the function that stops it.
 *
 * @example
 * ```ts
 * const stop = pollLoop(context, { long: true, url: () => url, subject: () => '"news"', ...callbacks })
 * ```
 */
export function pollLoop(context: TransportContext, options: PollLoopOptions): () => void {
  // One controller per request: a signal shared by thousands of requests collects a listener
  // from each of them.
  let controller = new AbortController()
  const { long, interval = 2000, pollWhenHidden = false } = options
  const name = long ? 'long-polling' : 'polling'
  const { timers, environment } = context
  let ended = false
  let opened = false
  let timer: unknown = null
  let stopWatching: (() => void) | null = null
  let etag: string | null = null
  let openTimer: unknown = null

  const markOpen = (): void => {
    timers.clearTimeout(openTimer)
    if (opened || ended) return
    opened = true
    options.onOpen()
  }

  const stop = (): void => {
    ended = true
    controller.abort()
    timers.clearTimeout(timer)
    timers.clearTimeout(openTimer)
    stopWatching?.()
  }
  const end = (error: LiveDataError): void => {
    if (ended) return
    stop()
    options.onEnd(error)
  }

  const poll = async (): Promise<void> => {
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (etag && !long) headers['If-None-Match'] = etag
    let response: Response
    try {
      controller = new AbortController()
      response = await get(
        context,
        options.url(),
        headers,
        controller.signal,
        name,
        options.subject(),
      )
    } catch (error) {
      return end(error as LiveDataError)
    }
    if (ended) return
    // Open once the first answer is read (a channel it refuses never counts as open), or, for a
    // long poll the server holds (its headers came alone), as soon as it is clearly held.
    if (!opened && long) openTimer = timers.setTimeout(markOpen, 0)
    let text = ''
    try {
      text = await response.text()
    } catch (cause) {
      return end(new LiveDataError('ERR_CONNECTION_LOST', 'The answer broke off', { cause }))
    }
    if (ended) return
    options.onActivity()
    etag = response.headers.get('etag') ?? etag
    if (response.status === 200 && text !== '') {
      // Asking again would bring the same answer: end, and let backoff pace the retries.
      if (text.length > context.maxMessageSize) {
        return end(new LiveDataError('ERR_MESSAGE_TOO_LARGE', 'An answer was too large'))
      }
      try {
        options.onAnswer(text)
      } catch (cause) {
        // Not our JSON: the server is not @livedata's.
        const message = `The server did not answer a poll for ${options.subject()} in JSON (${name})`
        return end(new LiveDataError('ERR_PARSE', message, { cause, retryable: false }))
      }
      if (ended) return
    }
    markOpen()
    schedule()
  }

  const schedule = (): void => {
    if (long) return void poll()
    timer = timers.setTimeout(() => {
      timer = null
      if (pollWhenHidden || environment.isVisible()) return void poll()
      // Hidden: wait until the page is visible again, then poll at once.
      stopWatching = environment.subscribe(() => {
        if (!environment.isVisible() || ended) return
        stopWatching?.()
        stopWatching = null
        void poll()
      })
    }, interval)
  }

  void poll()
  return stop
}
