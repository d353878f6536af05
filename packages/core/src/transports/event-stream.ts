import { LiveDataError } from '../errors'
import { createSseParser, type ServerSentEvent } from '../sse-parser'
import type { TransportContext } from '../types'
import { get } from './http'

/** What an event stream reports to the decoder reading it. */
export interface EventStreamCallbacks {
  /** The answer arrived with a body (`firstByte: false`), or a chunk of it was read (`true`, each time). */
  onOpen(firstByte: boolean): void
  /** A chunk arrived: proof of life. */
  onActivity(): void
  onEvent(event: ServerSentEvent): void
  onRetry(ms: number): void
  /** A problem that ends nothing (an event too large, skipped). */
  onError(error: LiveDataError): void
  /** The stream ended: cleanly (no error) or not. Called once, never after `abort`. */
  onEnd(error?: LiveDataError): void
}

/**
 * The wire of the SSE transport: GETs `url` with `fetch` (so that request headers work, which
 * `EventSource` cannot send), checks that a text/event-stream came back, and feeds its text to
 * the WHATWG parser, dropping events over `maxMessageSize`. Returns the function that abandons
 * it. The decoders (a plain endpoint, or @livedata/server's channels) sit on top.
 *
 * @example
 * ```ts
 * const abort = readEventStream(context, url, { Accept: 'text/event-stream' }, '"news"', callbacks)
 * ```
 */
export function readEventStream(
  context: TransportContext,
  url: string,
  headers: Record<string, string>,
  subject: string,
  callbacks: EventStreamCallbacks,
): () => void {
  const controller = new AbortController()
  let ended = false
  const end = (error?: LiveDataError): void => {
    if (ended) return
    ended = true
    controller.abort()
    callbacks.onEnd(error)
  }
  const max = context.maxMessageSize
  const tooLarge = (): LiveDataError =>
    new LiveDataError('ERR_MESSAGE_TOO_LARGE', `A message over ${max} characters was skipped`)

  const run = async (): Promise<void> => {
    let response: Response
    try {
      response = await get(context, url, headers, controller.signal, 'sse', subject)
    } catch (error) {
      return end(error as LiveDataError)
    }
    if (ended) return
    const type = response.headers.get('content-type') ?? ''
    if (!/^text\/event-stream/i.test(type) || !response.body) {
      response.body?.cancel().catch(() => {})
      return end(
        new LiveDataError(
          'ERR_CONTENT_TYPE',
          `The server sent "${type.slice(0, 100)}", not text/event-stream, for ${subject} over sse`,
          { retryable: false },
        ),
      )
    }
    const parser = createSseParser(
      {
        onEvent(event) {
          if (event.data.length > max) return callbacks.onError(tooLarge())
          callbacks.onEvent(event)
        },
        onRetry: callbacks.onRetry,
        onOverflow: () => callbacks.onError(tooLarge()),
      },
      { maxLineLength: max + 16 },
    )
    callbacks.onOpen(false)
    const reader = response.body.getReader()
    const decoder = new TextDecoder()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (ended) return
        if (done) break
        callbacks.onActivity()
        parser.push(decoder.decode(value, { stream: true }))
        // After the chunk: a channel the stream's head refuses never counts as open.
        if (!ended) callbacks.onOpen(true)
      }
    } catch (cause) {
      return end(new LiveDataError('ERR_CONNECTION_LOST', 'The stream broke off', { cause }))
    }
    end()
  }

  void run()
  return () => {
    ended = true
    controller.abort()
  }
}
