/**
 * The stable codes a {@link LiveDataError} can carry. Match on `code`, never on `message`:
 * messages are for people and may be reworded, codes are part of the API.
 */
export type LiveDataErrorCode =
  /** An option passed to `createLiveClient` or `client.source` is invalid. */
  | 'ERR_INVALID_OPTIONS'
  /** The server answered with a status outside 2xx. `status` holds it. */
  | 'ERR_HTTP_STATUS'
  /** The server answered 200 but not with the content type the transport needs. */
  | 'ERR_CONTENT_TYPE'
  /** The request failed below HTTP: refused, reset, DNS, CORS. */
  | 'ERR_NETWORK'
  /** A message arrived but its payload could not be parsed (invalid JSON, a throwing `parse`). */
  | 'ERR_PARSE'
  /** A message was parsed but the source's `schema` rejected it. */
  | 'ERR_SCHEMA'
  /** The source's `reduce` threw; the previous data is kept. */
  | 'ERR_REDUCE'
  /** A message or a buffered frame exceeded `maxMessageSize`. */
  | 'ERR_MESSAGE_TOO_LARGE'
  /** Nothing arrived, not even a heartbeat, within `heartbeatTimeout`. */
  | 'ERR_HEARTBEAT_TIMEOUT'
  /** `reconnect.maxAttempts` was reached; the source stays closed until subscribed again. */
  | 'ERR_RECONNECT_EXHAUSTED'
  /** The connection ended; the source is reconnecting. */
  | 'ERR_CONNECTION_LOST'
  /** A transport did not open within `openTimeout`; the next one is tried. */
  | 'ERR_OPEN_TIMEOUT'
  /** This environment lacks what the transport needs (no `WebSocket`, no DOM for `iframe`). */
  | 'ERR_UNSUPPORTED'
  /**
   * The server refused something and said so in its own terms (`serverCode`): a connection (an
   * auth middleware, say; tried again later), a subscription over the WebSocket (the next
   * transport is tried), the WebSocket's `hello` (`ERR_INVALID_HELLO`: the next transport is
   * tried, where the headers travel as HTTP headers), or a frame it could not place (reported,
   * nothing closes).
   */
  | 'ERR_REFUSED'
  /** A `send` could not be delivered. */
  | 'ERR_SEND_FAILED'
  /**
   * A `send` was given a payload JSON cannot carry (`undefined`, a function, a symbol, a bigint,
   * a cycle); it was not sent. Not retryable.
   */
  | 'ERR_INVALID_PAYLOAD'
  /** A `send` got no answer, or waited in the queue, longer than `sendTimeout`. */
  | 'ERR_SEND_TIMEOUT'
  /** `maxQueuedSends` sends are already waiting for the connection. */
  | 'ERR_SEND_QUEUE_FULL'
  /** The client was closed; the operation cannot proceed. */
  | 'ERR_CLOSED'
  /**
   * A source's `load` rejected, or resolved with something other than `{ data?, cursor }`; it
   * is tried again with backoff (`reconnect`), unless it threw a `LiveDataError` that is not
   * `retryable`. Its `cause` is what `load` threw.
   */
  | 'ERR_LOAD'

/** Options of the {@link LiveDataError} constructor. */
export interface LiveDataErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown
  /** The HTTP status, for `ERR_HTTP_STATUS`. */
  status?: number
  /** Whether retrying the same request can succeed. Defaults to `true`. */
  retryable?: boolean
  /** The code of the server's error answer (`ERR_FORBIDDEN`, say), when it gave one. */
  serverCode?: string
}

/**
 * Every error @livedata reports, in a snapshot's `error` or by a rejected promise.
 *
 * @example
 * ```ts
 * const { error } = prices.getSnapshot()
 * if (error?.code === 'ERR_HTTP_STATUS' && error.status === 401) login()
 * if (error?.serverCode === 'ERR_FORBIDDEN') showAccessDenied(error.message)
 * ```
 */
export class LiveDataError extends Error {
  /** The stable code; see {@link LiveDataErrorCode}. */
  readonly code: LiveDataErrorCode
  /** The HTTP status, when the error comes from an HTTP answer. */
  readonly status: number | undefined
  /** Whether a retry of the same request can succeed (a 404 cannot, a 503 can). */
  readonly retryable: boolean
  /**
   * The code the server gave in its error answer (`{"error":{"code":"ERR_FORBIDDEN",…}}` over
   * HTTP, an `error` frame over the WebSocket), `undefined` when it gave none. Its `message` is
   * in this error's `message`.
   */
  readonly serverCode: string | undefined

  constructor(code: LiveDataErrorCode, message: string, options: LiveDataErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'LiveDataError'
    this.code = code
    this.status = options.status
    this.retryable = options.retryable ?? true
    this.serverCode = options.serverCode
  }
}

/**
 * Whether `value` is a {@link LiveDataError}, optionally with the given code.
 *
 * @example
 * ```ts
 * try { await prices.send(order) } catch (err) {
 *   if (isLiveDataError(err, 'ERR_SEND_FAILED')) retryLater(order)
 * }
 * ```
 */
export function isLiveDataError(value: unknown, code?: LiveDataErrorCode): value is LiveDataError {
  return value instanceof LiveDataError && (code === undefined || value.code === code)
}

/** Wraps anything thrown into a {@link LiveDataError} with `code`, keeping the original as `cause`. */
export function toLiveDataError(
  value: unknown,
  code: LiveDataErrorCode,
  prefix: string,
): LiveDataError {
  if (value instanceof LiveDataError) return value
  const detail = value instanceof Error ? value.message : String(value)
  return new LiveDataError(code, `${prefix}: ${detail}`, { cause: value })
}

/**
 * The error of anything asked of a closed client (`client.close()`): a send, or a source
 * subscribed to afterwards.
 *
 * @example
 * ```ts
 * if (isClosed()) return Promise.reject(closedError())
 * ```
 */
export const closedError = (): LiveDataError =>
  new LiveDataError('ERR_CLOSED', 'The client is closed')
