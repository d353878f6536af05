import type { LiveDataError } from './errors'
import { WireError } from './protocol'

/**
 * How much an error of a fallback round tells the app, highest first:
 *
 * 6. the server refused or failed and said why (a `serverCode`: `ERR_FORBIDDEN`, `ERR_CLOSED`…),
 *    except `ERR_TRANSPORT`, which only says "not this transport";
 * 5. any other HTTP status;
 * 4. a wrong content type or an unreadable answer (a login page, a proxy's page);
 * 3. a transport that did not open in time;
 * 2. a network error, a dropped connection, anything else;
 * 1. a transport this environment does not have (no `WebSocket`, no DOM).
 *
 * A round that tried `websocket`, `sse`, `long-polling` and `polling` reports its most relevant
 * error, the earliest of equals, rather than whatever the last transport said.
 */
function relevance(error: LiveDataError): number {
  if (error.serverCode !== undefined && error.serverCode !== WireError.Transport) return 6
  if (error.status !== undefined) return 5
  switch (error.code) {
    case 'ERR_CONTENT_TYPE':
    case 'ERR_PARSE':
      return 4
    case 'ERR_OPEN_TIMEOUT':
      return 3
    case 'ERR_UNSUPPORTED':
      return 1
    default:
      return 2
  }
}

/**
 * The more relevant of two errors of one fallback round; `kept` (the earlier one) on a tie.
 *
 * @example
 * ```ts
 * moreRelevant(null, networkError) // networkError
 * moreRelevant(forbidden, networkError) // forbidden
 * ```
 */
export const moreRelevant = (kept: LiveDataError | null, next: LiveDataError): LiveDataError =>
  kept && relevance(kept) >= relevance(next) ? kept : next
