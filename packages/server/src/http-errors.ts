import type { ServerResponse } from 'node:http'
import type { LiveServerErrorCode } from './errors'

/** Headers of every error answer: JSON that no browser may sniff into anything else, never cached. */
const ERROR_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
}

/** The body of an error answer: `{"error": {"code", "message"}}`. */
export function errorBody(code: LiveServerErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message } })
}

/**
 * Answers with a JSON error body `{"error": {"code", "message"}}`; `message` must quote client
 * input only through `quote` or `cut` (200 characters). Never throws: a response that already
 * started, or cannot take the answer, is destroyed instead.
 */
export function sendError(
  response: ServerResponse,
  status: number,
  code: LiveServerErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  try {
    if (response.headersSent) {
      response.destroy()
      return
    }
    response.writeHead(status, { ...headers, ...ERROR_HEADERS })
    response.end(errorBody(code, message))
  } catch {
    response.destroy()
  }
}
