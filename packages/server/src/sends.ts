import type { IncomingMessage, ServerResponse } from 'node:http'
import { refusalOf } from './authorization'
import { LiveServerError } from './errors'
import { headersOf } from './headers'
import { sendError } from './http-errors'
import type { Hub } from './hub'
import { isIdempotencyKey } from './idempotency-store'
import { quote } from './quote'
import { readSendBody } from './send-body'

/** How reading a body ended. */
type BodyRead = { text: string } | { failed: 'too-large' | 'timeout' | 'aborted' }

/**
 * Reads a body up to `limit` bytes within `timeout` ms (0: no limit in time). Settles once, and
 * leaves no listener that could throw later. A request whose client already went (while
 * `authorize` ran, say) is `aborted` at once: its `close` will not come again.
 */
function readBody(request: IncomingMessage, limit: number, timeout: number): Promise<BodyRead> {
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
    const onEnd = (): void => settle({ text: Buffer.concat(chunks).toString('utf8') })
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
 * A client's send over HTTP: `POST <path>/<channel>` with `{"data": ..., "event"?: "name"}`.
 * Middleware in front that already read the body (Express's `express.json()`) left it in
 * `request.body`, which is used instead, held to `maxPayload` the same. A refusal before the
 * body arrived closes the connection after the answer (`sendError`).
 */
export async function handleHttpSend(
  hub: Hub,
  request: IncomingMessage & { body?: unknown },
  response: ServerResponse,
  channel: string,
  cors: Record<string, string>,
): Promise<void> {
  // Read now: once the client is gone, its socket no longer knows the address.
  const address = request.socket?.remoteAddress
  const headers = headersOf(request)
  const context = { channel, transport: 'http' as const, headers, request }
  const key = request.headers['idempotency-key']
  if (key !== undefined && !isIdempotencyKey(key)) {
    const message = `The Idempotency-Key header must be 1 to 128 of letters, digits, _ and -, got ${quote(key)}`
    hub.report(new LiveServerError('ERR_INVALID_KEY', message), {
      client: true,
      transport: 'http',
      channel,
      request,
      address,
    })
    return sendError(response, 400, 'ERR_INVALID_KEY', message, cors)
  }
  const verdict = await hub.authorize({ ...context, action: 'send' })
  if (verdict !== 'allowed') {
    const { retry } = hub.settings
    const { status, code, message, headers } = refusalOf(verdict, 'send', channel, retry)
    return sendError(response, status, code, message, { ...cors, ...headers })
  }
  const { maxPayload, bodyTimeout } = hub.settings
  const declared = Number(request.headers['content-length'] ?? 0)
  const report = (error: LiveServerError) =>
    hub.report(error, { client: true, transport: 'http', channel, request, address })
  let body: unknown = request.body
  if (body !== undefined && declared > maxPayload) {
    // Parsed already, by middleware with a larger limit: the wire size says it all.
    const message = `The body exceeds maxPayload (${maxPayload} bytes)`
    report(new LiveServerError('ERR_PAYLOAD_TOO_LARGE', message))
    return sendError(response, 413, 'ERR_PAYLOAD_TOO_LARGE', message, cors)
  }
  if (body === undefined) {
    if (request.readableEnded || request.readableDidRead) {
      const message =
        'The request body was already read by middleware that left no request.body; mount the live handler before body parsers'
      report(new LiveServerError('ERR_BODY_CONSUMED', message))
      return sendError(response, 400, 'ERR_BODY_CONSUMED', message, cors)
    }
    const read: BodyRead =
      declared > maxPayload
        ? { failed: 'too-large' }
        : await readBody(request, maxPayload, bodyTimeout)
    if ('failed' in read) {
      if (read.failed === 'aborted') {
        report(
          new LiveServerError('ERR_BODY_ABORTED', 'The client went away before its body arrived'),
        )
        response.destroy()
        return
      }
      if (read.failed === 'timeout') {
        const message = `The body did not arrive within bodyTimeout (${bodyTimeout} ms)`
        report(new LiveServerError('ERR_BODY_TIMEOUT', message))
        return sendError(response, 408, 'ERR_BODY_TIMEOUT', message, cors)
      }
      const message = `The body exceeds maxPayload (${maxPayload} bytes)`
      report(new LiveServerError('ERR_PAYLOAD_TOO_LARGE', message))
      return sendError(response, 413, 'ERR_PAYLOAD_TOO_LARGE', message, cors)
    }
    body = read.text
  }
  const reading = readSendBody(body, maxPayload)
  if ('refusal' in reading) {
    const { status, code, message } = reading.refusal
    report(new LiveServerError(code, message))
    return sendError(response, status, code, message, cors)
  }
  const { data, event } = reading.send
  try {
    await hub.receive(channel, data, { event, transport: 'http', headers, request, key })
  } catch {
    return sendError(response, 500, 'ERR_LISTENER', 'The server failed to take the message', cors)
  }
  response.writeHead(204, cors)
  response.end()
}
