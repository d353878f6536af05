import type { IncomingMessage, ServerResponse } from 'node:http'
import { type BodyRead, type Exchange, NO_SINK, type Sink } from './exchange'
import { headersOf } from './headers'
import { bodyPending } from './http-errors'
import { closeLingering } from './lingering-close'

/**
 * The sink of a `node:http` answer whose head is written: `buffered()` is the response's
 * `writableLength`, `drained` its `drain` event. Writes made in one tick leave in one syscall.
 *
 * @example
 * ```ts
 * response.writeHead(200, { 'Content-Type': 'text/event-stream' })
 * const sink = nodeSink(response)
 * sink.write('data: hello\n\n')
 * ```
 */
export function nodeSink(response: ServerResponse): Sink {
  return {
    write(text) {
      // Messages published in one tick leave in one write (one syscall), not one each.
      if (response.writableCorked === 0) {
        response.cork()
        process.nextTick(() => response.uncork())
      }
      response.write(text)
    },
    buffered: () => response.writableLength,
    drained(listener) {
      response.on('drain', listener)
    },
    end(text) {
      if (text === undefined) response.end()
      else response.end(text)
    },
    destroy() {
      response.destroy()
    },
  }
}

/**
 * Reads a body up to `limit` bytes within `timeout` ms (0: no limit in time). Settles once, and
 * leaves no listener that could throw later. A request whose client already went (while
 * `authorize` ran, say) is `aborted` at once: its `close` will not come again.
 */
function readNodeBody(request: IncomingMessage, limit: number, timeout: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    // A late error (the client resets after the answer) must find a listener.
    request.on('error', () => {})
    if (request.destroyed || request.readableAborted) {
      resolve({ failed: 'aborted' })
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const timer = timeout > 0 ? setTimeout(() => settle({ failed: 'timeout' }), timeout) : null
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) settle({ failed: 'too-large' })
      else chunks.push(chunk)
    }
    const onEnd = (): void => settle({ bytes: Buffer.concat(chunks) })
    const onClose = (): void => settle({ failed: 'aborted' })
    function settle(result: BodyRead): void {
      if (settled) return
      settled = true
      if (timer) clearTimeout(timer)
      request.off('data', onData)
      request.off('end', onEnd)
      request.off('close', onClose)
      request.off('error', onClose)
      // What is left of a refused body is read and dropped: the connection closes after the answer.
      if ('failed' in result) request.resume()
      resolve(result)
    }
    request.on('data', onData)
    request.on('end', onEnd)
    request.on('close', onClose)
    request.on('error', onClose)
  })
}

/**
 * A `node:http` request and its response as an exchange. The hooks see the request itself. A
 * body that a parser in front already read (`express.json()` leaves `request.body`) is taken as
 * parsed, held to the limit by its `Content-Length`. An answer started while some of the body
 * has not arrived (a refused POST) says `Connection: close` and closes the connection once
 * written, lingering a moment so the client reads it (see `closeLingering`): reading the whole
 * rest would let a client that trickles its body hold the connection for as long as Node's
 * `requestTimeout`.
 *
 * @example
 * ```ts
 * const exchange = createNodeExchange(request, response, new URL(request.url, 'http://x'))
 * exchange.respond(204, {}).end()
 * ```
 */
export function createNodeExchange(
  request: IncomingMessage & { body?: unknown },
  response: ServerResponse,
  url: URL,
): Exchange {
  const gone = new AbortController()
  const leave = (): void => gone.abort()
  if (response.destroyed || request.socket?.destroyed) leave()
  else response.once('close', leave)
  const headers = new Headers()
  for (const [name, value] of Object.entries(headersOf(request))) {
    try {
      headers.set(name, value)
    } catch {
      // A value Node took and the Fetch standard does not (none that an honest client sends):
      // the hooks still see it on the request itself.
    }
  }
  return {
    method: (request.method ?? 'GET').toUpperCase(),
    url,
    headers,
    // Read now: once the client is gone, its socket no longer knows the address.
    address: request.socket?.remoteAddress ?? null,
    request,
    readBody(limit, timeout) {
      const declared = Number(request.headers['content-length'] ?? 0)
      if (declared > limit) return Promise.resolve({ failed: 'too-large' })
      if (request.body !== undefined) return Promise.resolve({ parsed: request.body })
      if (request.readableEnded || request.readableDidRead) {
        return Promise.resolve({ failed: 'consumed' })
      }
      return readNodeBody(request, limit, timeout)
    },
    closed: gone.signal,
    respond(status, answerHeaders, headNow = false) {
      if (response.headersSent) {
        // One answer per request: a second (an error after a stream began) cuts the first.
        response.destroy()
        return NO_SINK
      }
      if (response.destroyed || response.writableEnded) return NO_SINK
      try {
        if (bodyPending(request)) {
          response.once('finish', () => closeLingering(request))
          response.writeHead(status, { ...answerHeaders, Connection: 'close' })
        } else {
          response.writeHead(status, answerHeaders)
        }
        if (headNow) response.flushHeaders()
      } catch {
        response.destroy()
        return NO_SINK
      }
      return nodeSink(response)
    },
  }
}
