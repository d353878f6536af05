import type { IncomingMessage } from 'node:http'
import { refusalOf } from './authorization'
import type { Headers } from './cors'
import { LiveServerError } from './errors'
import type { Exchange } from './exchange'
import { answerError } from './fetch-errors'
import { headersOf } from './headers'
import type { Hub } from './hub'
import { isIdempotencyKey } from './idempotency-store'
import type { WireErrorCode } from './protocol'
import { quote } from './quote'
import { readSendBody } from './send-body'

/** How reading a body ended. */
type BodyRead = { bytes: Uint8Array } | { failed: 'too-large' | 'timeout' | 'aborted' }

/** Reads an exchange's body up to `limit` bytes within `timeout` ms (0: no limit in time). */
async function readBody(exchange: Exchange, limit: number, timeout: number): Promise<BodyRead> {
  const chunks: Uint8Array[] = []
  let size = 0
  const reading = (async (): Promise<BodyRead> => {
    try {
      for await (const chunk of exchange.body(limit)) {
        chunks.push(chunk)
        size += chunk.byteLength
      }
    } catch (error) {
      if (error instanceof LiveServerError && error.code === 'ERR_PAYLOAD_TOO_LARGE') {
        return { failed: 'too-large' }
      }
      return { failed: 'aborted' }
    }
    const bytes = new Uint8Array(size)
    let at = 0
    for (const chunk of chunks) {
      bytes.set(chunk, at)
      at += chunk.byteLength
    }
    return { bytes }
  })()
  if (timeout <= 0) return reading
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<BodyRead>((resolve) => {
    timer = setTimeout(() => resolve({ failed: 'timeout' }), timeout)
  })
  try {
    return await Promise.race([reading, late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A client's send through `live.fetch`: `POST <path>/<channel>` with
 * `{"data": ..., "event"?: "name"}`, checked as on `node:http` (the `Idempotency-Key`,
 * `authorize`, `maxPayload`, `bodyTimeout`, the body's shape), then handed to the `message`
 * listeners; answered `204`.
 *
 * @example
 * ```ts
 * await sendExchange(hub, exchange, requestView(exchange), 'chat', cors)
 * ```
 */
export async function sendExchange(
  hub: Hub,
  exchange: Exchange,
  request: IncomingMessage,
  channel: string,
  cors: Headers,
): Promise<void> {
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
  const verdict = await hub.authorize({
    channel,
    transport: 'http',
    headers,
    request,
    action: 'send',
  })
  if (verdict !== 'allowed') {
    const { retry } = hub.settings
    const { status, code, message, headers: extra } = refusalOf(verdict, 'send', channel, retry)
    return answerError(exchange, status, code, message, { ...cors, ...extra })
  }
  const { maxPayload, bodyTimeout } = hub.settings
  const declared = Number(exchange.headers.get('content-length') ?? 0)
  const read: BodyRead =
    declared > maxPayload
      ? { failed: 'too-large' }
      : await readBody(exchange, maxPayload, bodyTimeout)
  if ('failed' in read) {
    if (read.failed === 'aborted') {
      report(
        new LiveServerError('ERR_BODY_ABORTED', 'The client went away before its body arrived'),
      )
      answerError(exchange, 400, 'ERR_INVALID_REQUEST', 'The body could not be read', cors)
      return
    }
    if (read.failed === 'timeout') {
      const message = `The body did not arrive within bodyTimeout (${bodyTimeout} ms)`
      return refuse(408, 'ERR_BODY_TIMEOUT', message)
    }
    const message = `The body exceeds maxPayload (${maxPayload} bytes)`
    return refuse(413, 'ERR_PAYLOAD_TOO_LARGE', message)
  }
  const reading = readSendBody(read.bytes, maxPayload)
  if ('refusal' in reading) {
    const { status, code, message } = reading.refusal
    return refuse(status, code, message)
  }
  const { data, event } = reading.send
  try {
    await hub.receive(channel, data, { event, transport: 'http', headers, request, key })
  } catch {
    return answerError(exchange, 500, 'ERR_LISTENER', 'The server failed to take the message', cors)
  }
  exchange.respond(204, cors).end()
}
