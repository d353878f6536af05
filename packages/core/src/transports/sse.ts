import { LiveDataError } from '../errors'
import { createSseParser } from '../sse-parser'
import type { TransportDefinition } from '../types'
import { httpStatusError, networkError, withQuery } from './http'

/** Event names @livedata/server reserves for control messages; never delivered as data. */
const CONTROL_PREFIX = 'livedata.'

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
    const url = context.channel ? withQuery(context.url, { lastEventId }) : context.url
    const headers: Record<string, string> = { Accept: 'text/event-stream', ...context.headers }
    if (!context.channel && lastEventId) headers['Last-Event-ID'] = lastEventId

    const run = async (): Promise<void> => {
      let response: Response
      try {
        response = await context.fetch(url, {
          headers,
          signal: controller.signal,
          cache: 'no-store',
        })
      } catch (cause) {
        return end(networkError(cause, url))
      }
      if (!response.ok) {
        void response.body?.cancel().catch(() => {})
        return end(httpStatusError(response, url))
      }
      const type = response.headers.get('content-type') ?? ''
      if (!/^text\/event-stream\b/i.test(type)) {
        void response.body?.cancel().catch(() => {})
        return end(
          new LiveDataError(
            'ERR_CONTENT_TYPE',
            `GET ${url} answered with content type "${type || 'none'}", expected "text/event-stream"`,
            { retryable: false },
          ),
        )
      }
      if (!response.body) {
        return end(new LiveDataError('ERR_NETWORK', `GET ${url} answered without a body`))
      }

      const max = context.maxMessageSize
      const tooLarge = (): LiveDataError =>
        new LiveDataError(
          'ERR_MESSAGE_TOO_LARGE',
          `A message from ${url} exceeded maxMessageSize (${max} characters) and was skipped`,
        )
      const parser = createSseParser(
        {
          onEvent(event) {
            if (event.data.length > max) return handlers.onError(tooLarge())
            if (context.channel && event.event.startsWith(CONTROL_PREFIX)) {
              if (event.event === `${CONTROL_PREFIX}gap`) handlers.onGap()
              return
            }
            handlers.onMessage({ data: event.data, event: event.event, id: event.id || null })
          },
          onRetry: handlers.onRetry,
          onOverflow: () => handlers.onError(tooLarge()),
        },
        { maxLineLength: max + 16 },
      )

      handlers.onOpen()
      const reader = response.body.getReader()
      const decoder = new TextDecoder()
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (ended) return
          if (done) break
          handlers.onActivity()
          parser.push(decoder.decode(value, { stream: true }))
        }
      } catch (cause) {
        return end(
          new LiveDataError('ERR_CONNECTION_LOST', `The stream from ${url} broke off`, { cause }),
        )
      }
      end(new LiveDataError('ERR_CONNECTION_LOST', `The server closed the stream from ${url}`))
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
