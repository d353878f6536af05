import { LiveServerError } from './errors'
import type { Exchange } from './exchange'
import { ERROR_HEADERS, errorBody } from './http-errors'
import type { WireErrorCode } from './protocol'
import type { ErrorContext, ErrorHandler } from './report'

/**
 * Answers an exchange with a JSON error body `{"error": {"code", "message"}}`, not sniffed nor
 * cached; `message` must quote client input only through `quote` or `cut`.
 *
 * @example
 * ```ts
 * answerError(exchange, 404, 'ERR_NOT_FOUND', 'Nothing here')
 * ```
 */
export function answerError(
  exchange: Exchange,
  status: number,
  code: WireErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  exchange.respond(status, { ...headers, ...ERROR_HEADERS }).end(errorBody(code, message))
}

/**
 * Answers an error that is the client's fault, and reports it to `onError` as such.
 *
 * @example
 * ```ts
 * refuseExchange(hub.report, exchange, 405, 'ERR_METHOD', 'Use GET or POST', {})
 * ```
 */
export function refuseExchange(
  report: ErrorHandler,
  exchange: Exchange,
  status: number,
  code: WireErrorCode,
  message: string,
  context: Omit<ErrorContext, 'client' | 'request'>,
  headers: Record<string, string> = {},
): void {
  report(new LiveServerError(code, message), {
    client: true,
    request: exchange.request,
    address: exchange.address ?? undefined,
    ...context,
  })
  answerError(exchange, status, code, message, headers)
}
