import type { HeadersOption, QueryOption } from './types'

/** The client's `headers`, resolved for one connect or one send. */
export const resolveHeaders = async (
  headers: HeadersOption | undefined,
): Promise<Record<string, string>> => ({
  ...(typeof headers === 'function' ? await headers() : headers),
})

/** The client's `query`, resolved and encoded as `name=value&…` (`''` for none). */
export async function resolveQuery(query: QueryOption | undefined): Promise<string> {
  const values = typeof query === 'function' ? await query() : query
  return Object.entries(values ?? {})
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&')
}

/**
 * Adds an encoded query to a URL that may already have one.
 *
 * @example
 * ```ts
 * withQuery('/live/news?token=abc', 'tenant=7') // '/live/news?token=abc&tenant=7'
 * ```
 */
export const withQuery = (url: string, query: string): string =>
  query ? `${url}${url.includes('?') ? '&' : '?'}${query}` : url

/**
 * Splits a base URL into its path (without trailing slashes) and its query (with the `?`), so
 * that a channel goes into the path and the query stays: `/live?token=abc` → `/live/news?token=abc`.
 *
 * @example
 * ```ts
 * splitBase('https://x.dev/live/?token=abc') // { path: 'https://x.dev/live', search: '?token=abc' }
 * ```
 */
export function splitBase(url: string): { path: string; search: string } {
  const hash = url.indexOf('#')
  const bare = hash === -1 ? url : url.slice(0, hash)
  const question = bare.indexOf('?')
  const path = question === -1 ? bare : bare.slice(0, question)
  return {
    path: path.replace(/\/+$/, ''),
    search: question === -1 || question === bare.length - 1 ? '' : bare.slice(question),
  }
}
