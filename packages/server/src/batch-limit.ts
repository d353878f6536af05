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

/**
 * Splits `texts[from..to)` into consecutive batches, calling `each(start, end)` for each: a
 * batch takes texts while they and a separator each fit `room` characters (the batch's limit
 * less its brackets or prefix); a text longer than that is a batch of its own.
 *
 * @example
 * ```ts
 * forEachBatch(['aaa', 'bbb', 'ccc'], 0, 3, 8, (start, end) => console.log(start, end))
 * // 0 2, then 2 3
 * ```
 */
export function forEachBatch(
  texts: readonly string[],
  from: number,
  to: number,
  room: number,
  each: (start: number, end: number) => void,
): void {
  let start = from
  let size = 0
  for (let index = from; index < to; index++) {
    const length = (texts[index] as string).length + 1
    if (index > start && size + length > room) {
      each(start, index)
      start = index
      size = 0
    }
    size += length
  }
  if (to > start) each(start, to)
}
