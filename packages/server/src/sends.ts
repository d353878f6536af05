import { refusalOf, retryAfter } from './authorization'
import type { Headers } from './cors'
import { LiveServerError } from './errors'
import type { Exchange } from './exchange'
import { answerError } from './exchange-errors'
import { headersOf } from './headers'
import type { Hub } from './hub'
import { isIdempotencyKey } from './idempotency-store'
import type { WireErrorCode } from './protocol'
import { quote } from './quote'
import { readSendBody } from './send-body'

/**
 * A client's send over HTTP, on every runtime: `POST <path>/<channel>` with
 * `{"data": ..., "event"?: "name"}`. Checked in this order: the `Idempotency-Key`, `authorize`,
 * `maxPayload` (by `Content-Length` before reading, then by what came), `bodyTimeout`, the body's
 * shape; then handed to the `message` listeners and answered `204`. A body a parser in front
 * already read (`request.body` on `node:http`) is used as it is, held to `maxPayload` the same.
 *
 * @example
 * ```ts
 * await acceptSend(hub, exchange, 'chat', cors)
 * ```
 */
export async function acceptSend(
  hub: Hub,
  exchange: Exchange,
  channel: string,
  cors: Headers,
): Promise<void> {
  const { request } = exchange
  const address = exchange.address ?? undefined
  const headers = headersOf(request)
  const report = (error: LiveServerError): void =>
    hub.report(error, { client: true, transport: 'http', channel, request, address })
  const refuse = (status: number, code: WireErrorCode, message: string): void => {
    report(new LiveServerError(code, message))
    answerError(exchange, status, code, message, cors)
  }
  const key = exchange.headers.get('idempotency-key') ?? undefined
  if (key !== undefined && !isIdempotencyKey(key)) {
    const message = `The Idempotency-Key header must be 1 to 128 of letters, digits, _ and -, got ${quote(key)}`
    return refuse(400, 'ERR_INVALID_KEY', message)
  }
  const asking = { channel, transport: 'http' as const, headers, request, action: 'send' as const }
  const verdict = await hub.authorize(asking)
  if (verdict !== 'allowed') {
    const { retry } = hub.settings
    const { status, code, message, headers: extra } = refusalOf(verdict, 'send', channel, retry)
    return answerError(exchange, status, code, message, { ...cors, ...extra })
  }
  const { maxPayload, bodyTimeout } = hub.settings
  const read = await exchange.readBody(maxPayload, bodyTimeout)
  if ('failed' in read) {
    switch (read.failed) {
      case 'aborted':
        report(
          new LiveServerError('ERR_BODY_ABORTED', 'The client went away before its body arrived'),
        )
        // Nobody reads this answer; it only ends the exchange.
        return answerError(exchange, 400, 'ERR_INVALID_REQUEST', 'The body could not be read', cors)
      case 'timeout':
        return refuse(
          408,
          'ERR_BODY_TIMEOUT',
          `The body did not arrive within bodyTimeout (${bodyTimeout} ms)`,
        )
      case 'consumed':
        return refuse(
          400,
          'ERR_BODY_CONSUMED',
          'The request body was already read by middleware that left no request.body; mount the live handler before body parsers',
        )
      case 'too-large':
        return refuse(
          413,
          'ERR_PAYLOAD_TOO_LARGE',
          `The body exceeds maxPayload (${maxPayload} bytes)`,
        )
    }
  }
  const reading = readSendBody('parsed' in read ? read.parsed : read.bytes, maxPayload)
  if ('refusal' in reading) {
    const { status, code, message } = reading.refusal
    return refuse(status, code, message)
  }
  const { data, event } = reading.send
  try {
    await hub.receive(channel, data, { event, transport: 'http', headers, request, key })
  } catch (error) {
    // The idempotency store is down (Redis): passing, the client retries with the same key.
    if (error instanceof LiveServerError && error.code === 'ERR_BACKPLANE') {
      const retry = { 'Retry-After': retryAfter(hub.settings.retry) }
      return answerError(exchange, 503, 'ERR_BACKPLANE', error.message, { ...cors, ...retry })
    }
    return answerError(exchange, 500, 'ERR_LISTENER', 'The server failed to take the message', cors)
  }
  exchange.respond(204, cors).end()
}
