import { LiveDataError } from '../errors'
import { isPassingStatus, readServerError, serverError } from '../server-error'
import type { TransportContext } from '../types'

/** Appends one query parameter to a URL that may already have some. */
export const withParam = (url: string, name: string, value: string): string =>
  `${url}${url.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`

/**
 * What an error about a link names: the channels it carries, at most three of them by name.
 *
 * @example
 * ```ts
 * linkSubject(['prices', 'news']) // '"prices", "news"'
 * ```
 */
export function linkSubject(channels: Iterable<string>): string {
  const names = [...channels]
  const shown = names.slice(0, 3).map((name) => `"${name}"`)
  if (names.length > 3) shown.push(`${names.length - 3} more`)
  return shown.join(', ') || 'no channel'
}

/**
 * The resume parameters of a channel request: the id to resume after, else the source's backlog
 * (`replay`), so that a fresh subscriber sees the channel's latest messages.
 */
export function withResume(url: string, context: TransportContext, id = context.lastEventId) {
  if (id) return withParam(url, 'lastEventId', id)
  return context.replay ? withParam(url, 'replay', String(context.replay)) : url
}

/**
 * What an error names: the channel of @livedata/server, or a plain endpoint's URL without its
 * query (which may hold a token).
 */
export const subjectOf = (context: TransportContext): string =>
  context.channel ? `"${context.key}"` : (context.url.split('?')[0] as string)

/**
 * GETs `url` with the context's headers and credentials. A request that gets no answer, or an
 * answer outside 2xx and 304, throws a `LiveDataError` saying what the server said: 408, 429 and
 * 5xx are worth retrying, other 4xx not.
 */
export async function get(
  context: TransportContext,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  transport: string,
  subject: string = subjectOf(context),
): Promise<Response> {
  let response: Response
  try {
    response = await context.fetch(url, {
      headers: { ...headers, ...context.headers },
      signal,
      cache: 'no-store',
      credentials: context.credentials,
    })
  } catch (cause) {
    throw new LiveDataError(
      'ERR_NETWORK',
      `Cannot reach the server for ${subject} over ${transport}`,
      { cause },
    )
  }
  const { status } = response
  if (response.ok || status === 304) return response
  const retryable = isPassingStatus(status)
  throw serverError('ERR_HTTP_STATUS', subject, status, await readServerError(response), retryable)
}
