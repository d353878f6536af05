/** A Redis Stream entry id, `<ms>-<seq>`: the form of every message id. */
const STREAM_ID = /^\d{1,20}-\d{1,20}$/

/**
 * Whether `id` has the form of a stream entry id (`<ms>-<seq>`), so that it may be sent to Redis.
 *
 * @example
 * ```ts
 * isStreamId('1700000000000-0') // true
 * isStreamId('$') // false
 * ```
 */
export const isStreamId = (id: unknown): id is string =>
  typeof id === 'string' && STREAM_ID.test(id)

function compareNumbers(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '')
  const y = b.replace(/^0+(?=\d)/, '')
  if (x.length !== y.length) return x.length - y.length
  return x < y ? -1 : x > y ? 1 : 0
}

/**
 * Orders two stream ids as Redis does (by milliseconds, then sequence): negative, 0 or positive.
 *
 * @example
 * ```ts
 * compareStreamIds('5-1', '10-0') // < 0
 * ```
 */
export function compareStreamIds(a: string, b: string): number {
  const [ams = '0', aseq = '0'] = a.split('-')
  const [bms = '0', bseq = '0'] = b.split('-')
  return compareNumbers(ams, bms) || compareNumbers(aseq, bseq)
}
