/** The stable codes of {@link LiveServerError}. */
export type LiveServerErrorCode =
  /** An option of `createLiveServer` is invalid. */
  | 'ERR_INVALID_OPTIONS'
  /** A channel name is empty, too long or contains a character outside the allowed set. */
  | 'ERR_INVALID_CHANNEL'
  /** An event name is empty, reserved (`livedata.*`) or contains a line break. */
  | 'ERR_INVALID_EVENT'
  /** A payload cannot be serialized to JSON. */
  | 'ERR_INVALID_PAYLOAD'
  /** A payload exceeds `maxPayload`. */
  | 'ERR_PAYLOAD_TOO_LARGE'
  /** The server was closed. */
  | 'ERR_CLOSED'

/**
 * An error thrown by @livedata/server on misuse, with a stable `code` and a sentence that says
 * what is wrong.
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
  }
}
