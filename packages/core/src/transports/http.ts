import { LiveDataError } from '../errors'
import type { TransportContext } from '../types'

/** Appends one query parameter to a URL that may already have some. */
export const withParam = (url: string, name: string, value: string): string =>
  `${url}${url.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`

/**
 * GETs `url` with the context's headers. A request that gets no answer, or an answer outside
 * 2xx and 304, throws a `LiveDataError`: 408, 429 and 5xx are worth retrying, other 4xx not.
 */
export async function get(
  context: TransportContext,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<Response> {
  let response: Response
  try {
    response = await context.fetch(url, {
      headers: { ...headers, ...context.headers },
      signal,
      cache: 'no-store',
    })
  } catch (cause) {
    throw new LiveDataError('ERR_NETWORK', `${url} unreachable`, { cause })
  }
  const { status } = response
  if (response.ok || status === 304) return response
  response.body?.cancel().catch(() => {})
  throw new LiveDataError('ERR_HTTP_STATUS', `${url} answered ${status}`, {
    status,
    retryable: status === 408 || status === 429 || status > 499,
  })
}
