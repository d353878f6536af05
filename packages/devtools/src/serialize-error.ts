/** An error as JSON carries it: its name, code and message, not the `{}` of `JSON.stringify`. */
export interface SerializedError {
  name: string
  message: string
  code?: string
  status?: number
  serverCode?: string
  retryable?: boolean
  cause?: SerializedError | string
}

/**
 * Turns an error (a `LiveDataError`, any `Error`, or whatever was thrown) into plain JSON: the
 * name, message and, when present, `code`, `status`, `serverCode`, `retryable` and `cause`.
 *
 * @example
 * ```ts
 * serializeError(new LiveDataError('ERR_NETWORK', 'fetch failed'))
 * // { name: 'LiveDataError', message: 'fetch failed', code: 'ERR_NETWORK', retryable: true }
 * ```
 */
export function serializeError(error: unknown, depth = 0): SerializedError | string {
  if (!(error instanceof Error)) return String(error)
  const { code, status, serverCode, retryable } = error as Error & Record<string, unknown>
  const out: SerializedError = { name: error.name, message: error.message }
  if (typeof code === 'string') out.code = code
  if (typeof status === 'number') out.status = status
  if (typeof serverCode === 'string') out.serverCode = serverCode
  if (typeof retryable === 'boolean') out.retryable = retryable
  if (error.cause !== undefined && depth < 3) out.cause = serializeError(error.cause, depth + 1)
  return out
}
