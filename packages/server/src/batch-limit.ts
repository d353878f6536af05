/** The longest batch a server writes, whatever a client says it reads: 1 MiB. */
const MAX_BATCH = 1024 * 1024
/** A client's `batch` parameter: digits only. */
const BATCH_PARAMETER = /[?&]batch=(\d{1,16})(?:&|$)/

/**
 * The longest batch (a WebSocket frame holding several, an SSE `!batch` event's data) the client
 * of a request reads, from its URL's `batch` parameter (in characters, capped at 1 MiB); 0 when
 * it names none (a client that reads only one message per frame or event).
 *
 * @example
 * ```ts
 * batchLimitOf('/live?batch=65536') // 65536
 * ```
 */
export function batchLimitOf(url: string | undefined): number {
  const digits = url === undefined ? undefined : BATCH_PARAMETER.exec(url)?.[1]
  return digits === undefined ? 0 : Math.min(Number(digits), MAX_BATCH)
}
