import { LiveDataError, type LiveDataErrorCode } from './errors'
import { FINAL_REFUSALS, WireError } from './protocol'

/** What @livedata/server says in an error answer: `{"error":{"code","message"}}`. */
export interface ServerError {
  code?: string
  message?: string
}

// An error body is a sentence; past this much it is not one of ours, and is not read further.
const MAX_BODY = 8192
// A message quoted from the server is cut here: it is for people, not a channel for data.
const MAX_MESSAGE = 300

/**
 * Whether an HTTP status says "passing: try again later" (408, 429, 5xx) rather than "never
 * like this" (any other 4xx).
 *
 * @example
 * ```ts
 * isPassingStatus(503) // true
 * isPassingStatus(403) // false
 * ```
 */
export const isPassingStatus = (status: number): boolean =>
  status === 408 || status === 429 || status > 499

/**
 * Whether `error` is a refusal that no fallback and no retry can fix (the origin, the host or
 * `authorize` said no): the source closes with it until `client.reconnect()`.
 *
 * @example
 * ```ts
 * isFinalRefusal(new LiveDataError('ERR_HTTP_STATUS', '…', { serverCode: 'ERR_FORBIDDEN' })) // true
 * ```
 */
export const isFinalRefusal = (error: LiveDataError): boolean => isRefusalCode(error.serverCode)

/** Whether a server's error code is one of the final refusals. */
export const isRefusalCode = (code: string | undefined): boolean =>
  FINAL_REFUSALS.includes(code as string)

/**
 * The HTTP status @livedata/server answers a code with over HTTP, for the codes a WebSocket
 * `error` frame can carry about a subscribe or a send that decide what the client does next, so
 * that the same answer reads the same on every transport: a final refusal is its 403, an
 * `authorize` that failed (threw: a database down, say) or a channel a node could not load from
 * its backplane its 503, passing and retried with backoff. `undefined` for any other code.
 *
 * @example
 * ```ts
 * statusOfCode('ERR_AUTHORIZE') // 503
 * ```
 */
export const statusOfCode = (code: string | undefined): number | undefined =>
  isRefusalCode(code)
    ? 403
    : code === WireError.Authorize || code === WireError.Backplane
      ? 503
      : undefined

/**
 * Reads the `{error:{code,message}}` body of an error answer, at most 8 KiB of it. Anything else
 * (an HTML error page, a proxy's text, no body) gives `{}`: it is never pasted into a message.
 */
export async function readServerError(response: Response): Promise<ServerError> {
  const type = response.headers.get('content-type') ?? ''
  if (!/json/i.test(type) || !response.body) {
    response.body?.cancel().catch(() => {})
    return {}
  }
  try {
    const reader = response.body.getReader()
    const decoder = new TextDecoder()
    let text = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
      if (text.length > MAX_BODY) {
        reader.cancel().catch(() => {})
        return {}
      }
    }
    const { error } = JSON.parse(text) as { error?: ServerError }
    return {
      code: typeof error?.code === 'string' ? error.code.slice(0, 64) : undefined,
      message: typeof error?.message === 'string' ? error.message.slice(0, MAX_MESSAGE) : undefined,
    }
  } catch {
    return {}
  }
}

/**
 * The error for a server's answer outside 2xx, or an `error` frame: it names `subject` (the
 * channel, a send on it, or a plain endpoint's URL), says what the server said and keeps its code
 * as `serverCode`. `status` is the HTTP status, if any.
 *
 * @example
 * ```ts
 * serverError('ERR_HTTP_STATUS', '"news"', 403, { code: 'ERR_FORBIDDEN', message: 'No' }, false)
 * // The server refused "news" (403 ERR_FORBIDDEN): No
 * ```
 */
export function serverError(
  code: LiveDataErrorCode,
  subject: string,
  status: number | undefined,
  server: ServerError,
  retryable: boolean,
): LiveDataError {
  const label = [status, server.code].filter((part) => part !== undefined).join(' ')
  const refused = status === 401 || status === 403 || isRefusalCode(server.code)
  const head = refused
    ? `The server refused ${subject} (${label})`
    : `The server answered ${label} for ${subject}`
  return new LiveDataError(code, server.message ? `${head}: ${server.message}` : head, {
    status,
    serverCode: server.code,
    retryable,
  })
}

/**
 * The error for the server's refusal of one channel of a shared connection (an `error` frame of
 * the WebSocket, a `!refused` event of a stream, an `error` entry of a poll): final for a refusal
 * (`ERR_FORBIDDEN`, closing the source until `client.reconnect()`), retried with backoff when
 * `authorize` failed (`ERR_AUTHORIZE`), the next transport tried otherwise.
 *
 * @example
 * ```ts
 * channelRefusal('admin', { code: 'ERR_FORBIDDEN', message: 'Not for you' })
 * ```
 */
export function channelRefusal(channel: string, said: ServerError): LiveDataError {
  // The same answer reads the same as over HTTP: a refusal is its 403, a failed authorize its 503.
  const status = statusOfCode(said.code)
  const code = status ? 'ERR_HTTP_STATUS' : 'ERR_REFUSED'
  return serverError(code, `"${channel}"`, status, said, isPassingStatus(status ?? 0))
}

/**
 * What a server's error object says, cut to size: its `code` (64 characters) and `message` (300),
 * each dropped unless it is a string.
 *
 * @example
 * ```ts
 * saidBy({ code: 'ERR_FORBIDDEN', message: 42 }) // { code: 'ERR_FORBIDDEN', message: undefined }
 * ```
 */
export function saidBy(value: unknown): ServerError {
  const { code, message } = (value ?? {}) as { code?: unknown; message?: unknown }
  return {
    code: typeof code === 'string' ? code.slice(0, 64) : undefined,
    message: typeof message === 'string' ? message.slice(0, MAX_MESSAGE) : undefined,
  }
}
