import { LiveServerError } from './errors'
import { checkChannel } from './names'
import { quote } from './quote'

/** What a request at or under the base path asks for, or why it is refused, after admission. */
export type RouteDecision =
  | { kind: 'preflight' }
  | { kind: 'subscribe'; channel: string | null }
  | { kind: 'send'; channel: string }
  | {
      kind: 'refuse'
      status: 404 | 405
      code: 'ERR_INVALID_CHANNEL' | 'ERR_METHOD'
      message: string
      channel?: string
      allow?: string
    }

/**
 * Decides a request by its method and what follows `<path>/` (`rest`; `null` for the base path
 * itself, the multiplexed form): the same for node:http and `live.fetch`, each answering it its
 * own way.
 *
 * @example
 * ```ts
 * routeOf('GET', 'prices', '/live') // { kind: 'subscribe', channel: 'prices' }
 * routeOf('PUT', null, '/live').kind // 'refuse' (405, Allow: GET, OPTIONS)
 * ```
 */
export function routeOf(
  method: string | undefined,
  rest: string | null,
  path: string,
): RouteDecision {
  if (rest === null) {
    if (method === 'OPTIONS') return { kind: 'preflight' }
    if (method === 'GET') return { kind: 'subscribe', channel: null }
    return {
      kind: 'refuse',
      status: 405,
      code: 'ERR_METHOD',
      message: `${quote(method)} is not supported at the base path; use GET to receive, and POST to ${path}/<channel> to send`,
      allow: 'GET, OPTIONS',
    }
  }
  let channel: string
  try {
    channel = decodeURIComponent(rest)
    checkChannel(channel)
  } catch (error) {
    const message =
      error instanceof LiveServerError ? error.message : `Malformed channel name ${quote(rest)}`
    return { kind: 'refuse', status: 404, code: 'ERR_INVALID_CHANNEL', message }
  }
  switch (method) {
    case 'OPTIONS':
      return { kind: 'preflight' }
    case 'POST':
      return { kind: 'send', channel }
    case 'GET':
      return { kind: 'subscribe', channel }
    default:
      return {
        kind: 'refuse',
        status: 405,
        code: 'ERR_METHOD',
        message: `${quote(method)} is not supported; use GET to receive and POST to send`,
        channel,
        allow: 'GET, POST, OPTIONS',
      }
  }
}
