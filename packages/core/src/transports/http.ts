import { LiveDataError } from '../errors'

/** Adds query parameters to a URL that may be absolute or relative, keeping its own. */
export function withQuery(url: string, params: Record<string, string | null | undefined>): string {
  const hashAt = url.indexOf('#')
  const base = hashAt === -1 ? url : url.slice(0, hashAt)
  const parts: string[] = []
  for (const [name, value] of Object.entries(params)) {
    if (value != null) parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
  }
  if (parts.length === 0) return base
  return `${base}${base.includes('?') ? '&' : '?'}${parts.join('&')}`
}

/** The error for an answer outside 2xx. 408, 429 and 5xx are worth retrying; other 4xx are not. */
export function httpStatusError(response: Response, url: string): LiveDataError {
  const status = response.status
  const retryable = status === 408 || status === 429 || status >= 500
  return new LiveDataError(
    'ERR_HTTP_STATUS',
    `GET ${url} answered ${status}${response.statusText ? ` ${response.statusText}` : ''}`,
    { status, retryable },
  )
}

/** The error for a request that never got an answer. */
export function networkError(cause: unknown, url: string): LiveDataError {
  const detail = cause instanceof Error ? cause.message : String(cause)
  return new LiveDataError('ERR_NETWORK', `Could not reach ${url}: ${detail}`, { cause })
}
