import { backlogSize } from './channel'
import type { HeaderMap } from './headers'
import { isChannelName, isEventName } from './hub'
import { isIdempotencyKey } from './idempotency-store'
import { CLIENT_FRAME_TYPES, type ClientFrameType, type WireErrorCode } from './protocol'
import { quote } from './quote'

/** The frame types a client may send, for the message that refuses another. */
const EXPECTED = `${CLIENT_FRAME_TYPES.slice(0, -1).join(', ')} or ${CLIENT_FRAME_TYPES.at(-1)}`

/** A frame a client sends over the WebSocket, checked. */
export type ClientFrame =
  | {
      type: 'hello'
      /** Lowercase names, all of them: the server keeps those its `helloHeaders` allow. */
      headers: HeaderMap
    }
  | { type: 'subscribe'; channel: string; lastEventId: string | null; replay: number }
  | { type: 'unsubscribe'; channel: string }
  | {
      type: 'send'
      channel: string
      data: unknown
      event: string | undefined
      ref: number
      /** The idempotency key: a repeat within the window is acknowledged, not delivered. */
      key: string | undefined
    }

// Every frame type read here is one the protocol names.
true satisfies ClientFrame['type'] extends ClientFrameType ? true : false

/**
 * What is wrong with a frame, and what it answers: `ref` for a `send` frame with an integer ref,
 * `channel` for a `subscribe` frame with a string channel, neither otherwise (docs/protocol.md,
 * "WebSocket → Errors").
 */
export interface FrameProblem {
  message: string
  ref?: number
  channel?: string
  /** A bad `hello`: `ERR_INVALID_HELLO`, and the socket is closed (1008). */
  fatal?: boolean
  /** The code to answer with, when not `ERR_INVALID_FRAME` (`ERR_INVALID_KEY`). */
  code?: WireErrorCode
}

/** The result of {@link readClientFrame}: the frame, or what is wrong with it. */
export type FrameReading = { frame: ClientFrame } | { problem: FrameProblem }

/** Most headers a `hello` frame may carry. */
export const MAX_HELLO_HEADERS = 32
/** Largest header value a `hello` frame may carry, in bytes. */
export const MAX_HELLO_VALUE = 8 * 1024
/** A header name: an RFC 9110 token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~\w-]{1,256}$/
/** Characters Node refuses in a header value: a value an app may pass on must be one. */
const BAD_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/
/** Longest `lastEventId` considered: ids are short; a longer one is never found anyway. */
const MAX_ID_LENGTH = 64

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function readHello(frame: Record<string, unknown>): FrameReading {
  const bad = (message: string): FrameReading => ({
    problem: { message: `a hello frame ${message}`, fatal: true },
  })
  const { headers } = frame
  if (!isObject(headers)) return bad('needs "headers": an object of header names to strings')
  const names = Object.keys(headers)
  if (names.length > MAX_HELLO_HEADERS) {
    return bad(`carries at most ${MAX_HELLO_HEADERS} headers, got ${names.length}`)
  }
  const entries: Array<[string, string]> = []
  for (const name of names) {
    const value = headers[name]
    if (!HEADER_NAME.test(name)) return bad(`has an invalid header name ${quote(name)}`)
    if (typeof value !== 'string') {
      return bad(`header ${quote(name)} must be a string, got ${quote(value)}`)
    }
    if (value.length > MAX_HELLO_VALUE || Buffer.byteLength(value) > MAX_HELLO_VALUE) {
      return bad(`header ${quote(name)} is over ${MAX_HELLO_VALUE} bytes`)
    }
    if (BAD_VALUE_CHAR.test(value))
      return bad(`header ${quote(name)} holds a character not allowed in headers`)
    entries.push([name.toLowerCase(), value])
  }
  return { frame: { type: 'hello', headers: Object.freeze(Object.fromEntries(entries)) } }
}

/**
 * Reads one text frame from a client. Never throws, whatever the text: a frame that is not
 * JSON, not an object, of an unknown type or with a wrong field comes back as a problem whose
 * message quotes the client's input cut to 200 characters (and names nested values only by
 * their kind, so no nesting can overflow the stack).
 *
 * @example
 * ```ts
 * readClientFrame('{"type":"send","channel":"chat","ref":3}')
 * // { problem: { message: 'a send needs data', ref: 3 } }
 * ```
 */
export function readClientFrame(text: string): FrameReading {
  let frame: unknown
  try {
    frame = JSON.parse(text)
  } catch {
    return { problem: { message: 'a frame must be JSON' } }
  }
  if (!isObject(frame)) return { problem: { message: 'a frame must be a JSON object' } }
  const { type, channel } = frame
  if (type === 'hello') return readHello(frame)
  if (type !== 'subscribe' && type !== 'unsubscribe' && type !== 'send') {
    return {
      problem: {
        message: `unknown frame type ${quote(type)}; expected ${EXPECTED}`,
      },
    }
  }
  // An error names what it answers, so that a client never takes it for something else.
  const answers: { ref?: number; channel?: string } = {}
  if (type === 'send' && Number.isSafeInteger(frame.ref)) answers.ref = frame.ref as number
  if (type === 'subscribe' && typeof channel === 'string') answers.channel = channel.slice(0, 256)
  const invalid = (message: string): FrameReading => ({ problem: { message, ...answers } })
  if (!isChannelName(channel)) {
    return invalid(`invalid channel ${quote(channel)}: 1 to 256 of letters, digits and _ . : @ ~ -`)
  }
  if (type === 'unsubscribe') return { frame: { type, channel } }
  if (type === 'subscribe') {
    const raw = frame.lastEventId
    // An id we never issued is simply not found: the client is told of a gap.
    const lastEventId = typeof raw === 'string' && raw !== '' ? raw.slice(0, MAX_ID_LENGTH) : null
    return { frame: { type, channel, lastEventId, replay: backlogSize(frame.replay) } }
  }
  const { event } = frame
  if (answers.ref === undefined)
    return invalid(`a send needs an integer ref, got ${quote(frame.ref)}`)
  if (event !== undefined && !isEventName(event)) {
    return invalid(`event must be 1 to 256 characters without line breaks, got ${quote(event)}`)
  }
  if (!('data' in frame)) return invalid('a send needs data')
  const { key } = frame
  if (key !== undefined && !isIdempotencyKey(key)) {
    const message = `key must be 1 to 128 of letters, digits, _ and -, got ${quote(key)}`
    return { problem: { message, ref: answers.ref, code: 'ERR_INVALID_KEY' } }
  }
  return {
    frame: {
      type,
      channel,
      data: frame.data,
      event: event as string | undefined,
      ref: answers.ref,
      key,
    },
  }
}
