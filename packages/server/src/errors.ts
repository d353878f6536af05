/**
 * The stable codes of {@link LiveServerError}: what `createLiveServer` and `live.publish` throw on
 * misuse, what `onError` reports, and the `error.code` of the server's error answers on the wire
 * (see docs/protocol.md).
 */
export type LiveServerErrorCode =
  /** An option of `createLiveServer` is invalid. */
  | 'ERR_INVALID_OPTIONS'
  /** A channel name is empty, too long or contains a character outside the allowed set. */
  | 'ERR_INVALID_CHANNEL'
  /** An event name is empty, reserved (`livedata.*`) or contains a line break. */
  | 'ERR_INVALID_EVENT'
  /** A payload cannot be serialized to JSON. */
  | 'ERR_INVALID_PAYLOAD'
  /** A payload, published or sent, exceeds `maxPayload`: 413 (an error frame with the send's ref over WebSocket). */
  | 'ERR_PAYLOAD_TOO_LARGE'
  /** The server was closed. */
  | 'ERR_CLOSED'
  /** A request's `Origin` (or an iframe's `origin` parameter) is not in `origins`: 403. */
  | 'ERR_ORIGIN'
  /** A request's `Host` is not allowed (`allowedHosts`, the DNS-rebinding defence): 403. */
  | 'ERR_HOST'
  /** `authorize` refused a subscription or a send: 403. */
  | 'ERR_FORBIDDEN'
  /** A malformed request: a target no URL parser takes, an iframe without a valid origin or nonce: 400. */
  | 'ERR_INVALID_REQUEST'
  /** A WebSocket frame the server cannot use: not JSON, not an object, a wrong field. */
  | 'ERR_INVALID_FRAME'
  /**
   * A WebSocket `hello` frame the server refused (malformed, or not the first frame): the error
   * frame, then a 1008 close whose reason starts with the code. Also reported (only) for a hello
   * header outside `helloHeaders`, which is ignored.
   */
  | 'ERR_INVALID_HELLO'
  /**
   * A send's idempotency key (the `send` frame's `key`, the `Idempotency-Key` header) is not 1 to
   * 128 of `A–Z a–z 0–9 _ -`: 400 (an error frame with the send's ref over WebSocket).
   */
  | 'ERR_INVALID_KEY'
  /** A send's body is not JSON: 400. */
  | 'ERR_INVALID_JSON'
  /** A send's body is not an object with a `data` field: 400. */
  | 'ERR_INVALID_MESSAGE'
  /** A send's body did not arrive within `bodyTimeout`: 408, and the connection is closed. */
  | 'ERR_BODY_TIMEOUT'
  /** The client went away before its send's body arrived. Reported only: nobody is left to answer. */
  | 'ERR_BODY_ABORTED'
  /** The body was already read by middleware that left no `request.body`: 400. */
  | 'ERR_BODY_CONSUMED'
  /** A transport this server does not offer: 404 (a refused upgrade for WebSocket). */
  | 'ERR_TRANSPORT'
  /** A path outside the base path, on a server with no other handler: 404. */
  | 'ERR_NOT_FOUND'
  /** A method other than GET, POST and OPTIONS: 405. */
  | 'ERR_METHOD'
  /**
   * Past a per-socket limit: 1,000 channels; or far more frames waiting to be handled than a
   * paused peer can send (the socket is closed).
   */
  | 'ERR_TOO_MANY'
  /**
   * A connection fell too far behind: more than `maxBufferedBytes` unread and a whole history
   * waiting, or answers to its bad frames piling up unread. It is closed; an honest client
   * resumes from its last id.
   */
  | 'ERR_SLOW_CLIENT'
  /** A `message` listener threw or rejected: the send is answered 500 (or an error frame). */
  | 'ERR_LISTENER'
  /** `authorize` threw or rejected: `503` (an error frame over WebSocket); the client retries later. */
  | 'ERR_AUTHORIZE'
  /** Something failed inside the server while serving one request or socket, which was ended. */
  | 'ERR_INTERNAL'
  /**
   * The backplane (Redis) could not be reached or refused a command: a publish through it
   * failed; a channel could not be loaded (in 10 s), or the node follows `maxChannels` already
   * (503, an error frame over WebSocket); a send's idempotency key could not be stored (503).
   */
  | 'ERR_BACKPLANE'

/** Marks every `LiveServerError`, whichever copy of the package made it. */
const BRAND = Symbol.for('@livedata/server.LiveServerError')

/**
 * An error of @livedata/server, with a stable `code` and a sentence that says what is wrong:
 * thrown on misuse, and handed to `onError` for what went wrong while serving.
 *
 * @example
 * ```ts
 * try { live.publish('', 1) } catch (err) {
 *   if (err instanceof LiveServerError && err.code === 'ERR_INVALID_CHANNEL') ...
 * }
 * ```
 */
export class LiveServerError extends Error {
  readonly code: LiveServerErrorCode

  constructor(code: LiveServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'LiveServerError'
    this.code = code
    Object.defineProperty(this, BRAND, { value: true })
  }

  /**
   * Whether `value` is a `LiveServerError` from any copy of this package (its ESM and CommonJS
   * builds, or two installed versions): `instanceof` checks the brand, not the class object.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && BRAND in value
  }
}
