import type { LiveServerErrorCode } from './errors'

// What the server puts on the wire, in one place; docs/protocol.md is the contract it follows.

/** Event names starting with this are the protocol's own: nobody may publish or send them. */
export const RESERVED_EVENT_PREFIX = 'livedata.'

/** The protocol's own SSE events: a fresh subscriber's cursor, and a gap in history. */
export const SSE_EVENTS = {
  cursor: `${RESERVED_EVENT_PREFIX}cursor`,
  gap: `${RESERVED_EVENT_PREFIX}gap`,
} as const

/**
 * The control events of a multiplexed SSE stream (`GET <path>?c=…`): a channel's cursor, a gap
 * in its history, its refusal by `authorize`. `!` is outside the channel alphabet, so no
 * channel's messages (`event: <channel>` or `<channel>/<event>`) can take these names.
 */
export const MULTI_SSE_EVENTS = {
  cursor: '!cursor',
  gap: '!gap',
  refused: '!refused',
  /** Several messages in one event (a client that sent `batch=<n>`): an array of socket frames. */
  batch: '!batch',
} as const

/** What separates a channel from a named event in a multiplexed SSE event name. */
export const MULTI_EVENT_SEPARATOR = '/'

/**
 * The `t` of each object an iframe document posts to its page: open, cursor, gap, refused,
 * message, heartbeat (cursor and refused only in the multiplexed form, which adds `c`).
 */
export const IFRAME_TYPES = {
  open: 'o',
  cursor: 'c',
  gap: 'g',
  refused: 'r',
  message: 'm',
  heartbeat: 'h',
} as const

/** The `type` of every WebSocket frame a client may send. */
export const CLIENT_FRAME_TYPES = ['hello', 'subscribe', 'unsubscribe', 'send'] as const

/** The `type` of a WebSocket frame from the client. */
export type ClientFrameType = (typeof CLIENT_FRAME_TYPES)[number]

/** The `type` of every WebSocket frame the server sends. */
export const SERVER_FRAME_TYPES = [
  'message',
  'subscribed',
  'gap',
  'error',
  'ack',
  'heartbeat',
] as const

/** The `type` of a WebSocket frame from the server. */
export type ServerFrameType = (typeof SERVER_FRAME_TYPES)[number]

/**
 * Every `code` the server puts on the wire: in the `{"error": {"code", "message"}}` body of an
 * HTTP answer or a refused upgrade, and in WebSocket `error` frames. The other codes of
 * `LiveServerError` are thrown (`ERR_INVALID_OPTIONS`, `ERR_INVALID_PAYLOAD`) or only reported
 * (`ERR_BODY_ABORTED`, `ERR_SLOW_CLIENT`). A test checks that docs/protocol.md names each one.
 */
export const WIRE_ERROR_CODES = [
  'ERR_INVALID_CHANNEL',
  'ERR_INVALID_EVENT',
  'ERR_INVALID_REQUEST',
  'ERR_INVALID_JSON',
  'ERR_INVALID_MESSAGE',
  'ERR_INVALID_KEY',
  'ERR_INVALID_FRAME',
  'ERR_INVALID_HELLO',
  'ERR_PAYLOAD_TOO_LARGE',
  'ERR_BODY_TIMEOUT',
  'ERR_BODY_CONSUMED',
  'ERR_ORIGIN',
  'ERR_HOST',
  'ERR_FORBIDDEN',
  'ERR_AUTHORIZE',
  'ERR_TRANSPORT',
  'ERR_NOT_FOUND',
  'ERR_METHOD',
  'ERR_TOO_MANY',
  'ERR_LISTENER',
  'ERR_CLOSED',
  'ERR_BACKPLANE',
  'ERR_INTERNAL',
] as const satisfies readonly LiveServerErrorCode[]

/** A code the server puts on the wire; see {@link WIRE_ERROR_CODES}. */
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number]

/**
 * The opening of a server frame, `{"type":"<type>"`, for frames built as text (each message's is
 * built once and shared): the type is checked against {@link ServerFrameType}.
 *
 * @example
 * ```ts
 * `${frameStart('ack')},"ref":3}` // '{"type":"ack","ref":3}'
 * ```
 */
export function frameStart(type: ServerFrameType): string {
  return `{"type":"${type}"`
}
