// Ids are compared for every message, two or three times: read in place, with no slices and no
// arrays, so that a stream of messages allocates nothing here.

/** The number the digits of `id` from `from` to `to` write, or -1: none, a non-digit, or unsafe. */
function digits(id: string, from: number, to: number): number {
  if (to <= from || to - from > 16) return -1
  let value = 0
  for (let index = from; index < to; index++) {
    const digit = id.charCodeAt(index) - 48
    if (digit < 0 || digit > 9) return -1
    value = value * 10 + digit
  }
  return Number.isSafeInteger(value) ? value : -1
}

/**
 * Orders two ids of @livedata/server (`<ms>-<seq>`, as in Redis Streams). Returns `null` for ids
 * of any other form.
 *
 * @example
 * ```ts
 * compareIds('1700000000000-2', '1700000000000-10') // < 0
 * compareIds('abc', '1-1') // null
 * ```
 */
export function compareIds(a: string, b: string): number | null {
  const dashA = a.indexOf('-')
  const dashB = b.indexOf('-')
  const msA = digits(a, 0, dashA)
  const seqA = digits(a, dashA + 1, a.length)
  const msB = digits(b, 0, dashB)
  const seqB = digits(b, dashB + 1, b.length)
  if (msA < 0 || seqA < 0 || msB < 0 || seqB < 0) return null
  return msA - msB || seqA - seqB
}

/**
 * A check whether `id` was already delivered: it comes at or before `last`, both ids of
 * @livedata/server. Ids of any other form are opaque and never count as seen.
 *
 * @example
 * ```ts
 * const seen = seenCheck()
 * seen('1-1', '1-2') // true
 * seen('1-3', '1-2') // false
 * ```
 */
export function seenCheck(): (id: string, last: string) => boolean {
  return (id, last) => {
    const order = compareIds(id, last)
    return order !== null && order <= 0
  }
}
