import type { IncomingMessage, ServerResponse } from 'node:http'
import { LiveServerError } from './errors'
import { closeLingering } from './lingering-close'
import type { WireErrorCode } from './protocol'
import type { ErrorContext, ErrorHandler } from './report'

/** Headers of every error answer: JSON that no browser may sniff into anything else, never cached. */
export const ERROR_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'application/json; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
}

/** The body of an error answer: `{"error": {"code", "message"}}`. */
export function errorBody(code: WireErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message } })
}

/**
 * Whether some of `request`'s body has not arrived yet: it declared one (`Content-Length` over 0,
 * or `Transfer-Encoding`) and Node has not parsed its end.
 */
export function bodyPending(request: IncomingMessage | undefined): boolean {
  if (request === undefined || request.complete) return false
  const { headers } = request
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0
}

/**
 * Answers with a JSON error body `{"error": {"code", "message"}}`; `message` must quote client
 * input only through `quote` or `cut` (200 characters). Never throws: a response that already
 * started, or cannot take the answer, is destroyed instead.
 *
 * When the request's body has not all arrived (a refused POST), the answer says
 * `Connection: close` and the connection is closed once it is written, lingering a moment so the
 * client reads it (see `closeLingering`): reading the whole rest would let a client that trickles
 * its body hold the connection for as long as Node's `requestTimeout`.
 *
 * @example
 * ```ts
 * sendError(response, 404, 'ERR_NOT_FOUND', `Nothing at ${quote(request.url)}`)
 * ```
 */
export function sendError(
  response: ServerResponse,
  status: number,
  code: WireErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  try {
    if (response.headersSent) {
      response.destroy()
      return
    }
    const request = response.req as IncomingMessage | undefined
    const closing = bodyPending(request)
    const connection: Record<string, string> = closing ? { Connection: 'close' } : {}
    if (closing) response.once('finish', () => closeLingering(request))
    response.writeHead(status, { ...headers, ...ERROR_HEADERS, ...connection })
    response.end(errorBody(code, message))
  } catch {
    response.destroy()
  }
}

/**
 * Answers an error that is the client's fault, and reports it to `onError` as such.
 *
 * @example
 * ```ts
 * refuse(hub.report, response, 405, 'ERR_METHOD', 'Use GET or POST', { request })
 * ```
 */
export function refuse(
  report: ErrorHandler,
  response: ServerResponse,
  status: number,
  code: WireErrorCode,
  message: string,
  context: Omit<ErrorContext, 'client'>,
  headers: Record<string, string> = {},
): void {
  report(new LiveServerError(code, message), { client: true, ...context })
  sendError(response, status, code, message, headers)
}
