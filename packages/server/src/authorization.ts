import type { WireErrorCode } from './protocol'

/**
 * What `authorize` decided: `allowed` (it returned `true`), `forbidden` (anything else), or
 * `failed` (it threw or rejected: a database down, say; the client may try again later).
 */
export type Verdict = 'allowed' | 'forbidden' | 'failed'

/** How a refusal is answered: over HTTP with `status`, over WebSocket with an error frame. */
export interface Refusal {
  status: 403 | 503
  code: WireErrorCode
  message: string
  /** Headers of the HTTP answer: `Retry-After` for a passing one. */
  headers: Record<string, string>
}

/**
 * The answer to a request `authorize` did not allow: `403 ERR_FORBIDDEN` when it said no (final:
 * the client stops), `503 ERR_AUTHORIZE` when it failed (passing: the client retries later).
 *
 * @example
 * ```ts
 * refusalOf('failed', 'subscribe', 'news', 1000)
 * // { status: 503, code: 'ERR_AUTHORIZE', message: 'Access to "news" could not be checked …',
 * //   headers: { 'Retry-After': '1' } }
 * ```
 */
export function refusalOf(
  verdict: Exclude<Verdict, 'allowed'>,
  action: 'subscribe' | 'send',
  channel: string,
  retry: number,
): Refusal {
  const what = action === 'send' ? `Sending on "${channel}"` : `Access to "${channel}"`
  if (verdict === 'failed') {
    return {
      status: 503,
      code: 'ERR_AUTHORIZE',
      message: `${what} could not be checked (authorize failed); try again later`,
      headers: { 'Retry-After': retryAfter(retry) },
    }
  }
  return { status: 403, code: 'ERR_FORBIDDEN', message: `${what} is not allowed`, headers: {} }
}

/**
 * The `Retry-After` of a passing refusal, in whole seconds: the server's suggested `retry` (ms).
 *
 * @example
 * ```ts
 * retryAfter(1000) // '1'
 * ```
 */
export function retryAfter(retry: number): string {
  return String(Math.max(1, Math.ceil(retry / 1000)))
}
