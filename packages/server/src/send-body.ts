import { isEventName } from './hub'
import { jsonSize } from './json-size'
import type { WireErrorCode } from './protocol'
import { quote } from './quote'

/** A send a client made: the payload, and the event name it gave. */
export interface ClientSend {
  data: unknown
  event: string | undefined
}

/** Why a send's body was refused: the HTTP status and the error answer. */
export interface SendRefusal {
  status: 400 | 413
  code: WireErrorCode
  message: string
}

/** The result of {@link readSendBody}. */
export type SendReading = { send: ClientSend } | { refusal: SendRefusal }

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const SHAPE = 'The body must be a JSON object {"data": ..., "event"?: "name"}'

function refuse(status: 400 | 413, code: WireErrorCode, message: string): SendReading {
  return { refusal: { status, code, message } }
}

function parse(text: string): { value: unknown } | null {
  try {
    return { value: JSON.parse(text) }
  } catch {
    return null
  }
}

/**
 * Turns a send's body into the send, or a refusal to answer with. `body` is the body text, its
 * bytes, or what middleware in front already parsed (`request.body`: an object is taken as
 * parsed, a string or bytes are parsed here). Either way it is held to `maxPayload`: a parsed
 * body by its size as JSON, counted only up to the limit. Never throws, whatever `body` is.
 *
 * @example
 * ```ts
 * readSendBody('{"data":{"text":"hi"},"event":"say"}', 65536)
 * // { send: { data: { text: 'hi' }, event: 'say' } }
 * readSendBody('{"data": ', 65536)
 * // { refusal: { status: 400, code: 'ERR_INVALID_JSON', message: 'The body is not valid JSON' } }
 * ```
 */
export function readSendBody(body: unknown, maxPayload: number): SendReading {
  try {
    let value: unknown = body
    const tooLarge = (): SendReading =>
      refuse(413, 'ERR_PAYLOAD_TOO_LARGE', `The body exceeds maxPayload (${maxPayload} bytes)`)
    // Bytes from any realm (a test's jsdom window has its own Uint8Array): not `instanceof`.
    const bytes =
      typeof body === 'object' && body !== null && ArrayBuffer.isView(body) ? body : null
    if (typeof body === 'string' || bytes !== null) {
      const size = bytes !== null ? bytes.byteLength : encoder.encode(body as string).byteLength
      if (size > maxPayload) return tooLarge()
      const text = bytes !== null ? decoder.decode(bytes) : (body as string)
      const parsed = parse(text)
      if (parsed === null) return refuse(400, 'ERR_INVALID_JSON', 'The body is not valid JSON')
      value = parsed.value
    } else if (jsonSize(body, maxPayload) > maxPayload) {
      return tooLarge()
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return refuse(400, 'ERR_INVALID_MESSAGE', `${SHAPE}, got ${quote(value)}`)
    }
    if (!Object.hasOwn(value, 'data')) return refuse(400, 'ERR_INVALID_MESSAGE', SHAPE)
    const { data, event } = value as { data: unknown; event?: unknown }
    if (event !== undefined && !isEventName(event)) {
      return refuse(
        400,
        'ERR_INVALID_EVENT',
        `event must be 1 to 256 characters without line breaks, got ${quote(event)}`,
      )
    }
    return { send: { data, event: event as string | undefined } }
  } catch {
    // Only an exotic object from middleware (a throwing getter, a revoked Proxy) gets here.
    return refuse(400, 'ERR_INVALID_MESSAGE', SHAPE)
  }
}
