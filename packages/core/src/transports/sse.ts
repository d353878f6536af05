import { LiveDataError } from '../errors'
import { RESERVED_PREFIX, SseControl } from '../protocol'
import { createSseParser } from '../sse-parser'
import type { TransportDefinition } from '../types'
import { get, subjectOf, withResume } from './http'

/**
 * Server-Sent Events over `fetch`, so that request headers (tokens) work, which `EventSource`
 * cannot send. Speaks the standard text/event-stream, so any SSE endpoint works.
 *
 * @example
 * ```ts
 * import { createLiveClient, sse } from '@livedata/core/base'
 * const client = createLiveClient({ url: '/live', transports: [sse] })
 * ```
 */
export const sse: TransportDefinition = {
  name: 'sse',
  connect(context, handlers) {
    const controller = new AbortController()
    let ended = false
    const end = (error?: LiveDataError): void => {
      if (ended) return
      ended = true
      controller.abort()
      handlers.onClose(error)
    }

    const { lastEventId } = context
    // Channels resume through the query (no CORS preflight); plain endpoints get the standard header.
    const url = context.channel ? withResume(context.url, context) : context.url
    const headers: Record<string, string> = { Accept: 'text/event-stream' }
    if (!context.channel && lastEventId) headers['Last-Event-ID'] = lastEventId

    const run = async (): Promise<void> => {
      let response: Response
      try {
        response = await get(context, url, headers, controller.signal, 'sse')
      } catch (error) {
        return end(error as LiveDataError)
      }
      const type = response.headers.get('content-type') ?? ''
      if (!/^text\/event-stream/i.test(type) || !response.body) {
        response.body?.cancel().catch(() => {})
        return end(
          new LiveDataError(
            'ERR_CONTENT_TYPE',
            `The server sent "${type.slice(0, 100)}", not text/event-stream, for ${subjectOf(context)} over sse`,
            { retryable: false },
          ),
        )
      }

      const max = context.maxMessageSize
      const tooLarge = (): LiveDataError =>
        new LiveDataError('ERR_MESSAGE_TOO_LARGE', `A message over ${max} characters was skipped`)
      const parser = createSseParser(
        {
          onEvent(event) {
            if (event.data.length > max) return handlers.onError(tooLarge())
            if (context.channel && event.event.startsWith(RESERVED_PREFIX)) {
              if (event.event === SseControl.Gap) handlers.onGap()
              if (event.event === SseControl.Cursor) handlers.onCursor(event.id)
              return
            }
            handlers.onMessage({ text: event.data, event: event.event, id: event.id || null })
          },
          onRetry: handlers.onRetry,
          onOverflow: () => handlers.onError(tooLarge()),
        },
        { maxLineLength: max + 16 },
      )

      // A plain endpoint is open with its headers. Our server writes `retry:` at once, so a
      // channel waits for that first byte: a proxy that buffers the body never counts as open.
      if (!context.channel) handlers.onOpen()
      const reader = response.body.getReader()
      const decoder = new TextDecoder()
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (ended) return
          if (done) break
          if (context.channel) handlers.onOpen()
          handlers.onActivity()
          parser.push(decoder.decode(value, { stream: true }))
        }
      } catch (cause) {
        return end(new LiveDataError('ERR_CONNECTION_LOST', 'The stream broke off', { cause }))
      }
      end()
    }

    void run()
    return {
      close() {
        ended = true
        controller.abort()
      },
    }
  },
}
