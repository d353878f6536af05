import { LiveDataError } from '../errors'

/** Appends one query parameter to a URL that may already have some. */
export const withParam = (url: string, name: string, value: string): string =>
  `${url}${url.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`

/** The error for an answer outside 2xx. 408, 429 and 5xx are worth retrying; other 4xx are not. */
export function httpStatusError(status: number, url: string): LiveDataError {
  return new LiveDataError('ERR_HTTP_STATUS', `${url} answered ${status}`, {
    status,
    retryable: status === 408 || status === 429 || status > 499,
  })
}
