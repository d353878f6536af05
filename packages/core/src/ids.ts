/** An id of @livedata/server split into its two numbers: `[ms, seq]`. */
type SplitId = [number, number]

/** The two numbers of an id of @livedata/server (`<ms>-<seq>`), or `null` for another form. */
function splitId(id: string): SplitId | null {
  const dash = id.indexOf('-')
  // Unary plus, not a RegExp: this runs for every message.
  const ms = dash > 0 ? +id.slice(0, dash) : Number.NaN
  const seq = dash < id.length - 1 ? +id.slice(dash + 1) : Number.NaN
  return Number.isSafeInteger(ms) && Number.isSafeInteger(seq) && ms >= 0 && seq >= 0
    ? [ms, seq]
    : null
}

const order = (x: SplitId, y: SplitId): number => x[0] - y[0] || x[1] - y[1]

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
  const x = splitId(a)
  const y = splitId(b)
  return x && y ? order(x, y) : null
}

/**
 * A check whether `id` was already delivered: it comes at or before `last`, both ids of
 * @livedata/server. Ids of any other form are opaque and never count as seen. The check keeps
 * `last` split, so a stream of messages splits each id once.
 *
 * @example
 * ```ts
 * const seen = seenCheck()
 * seen('1-1', '1-2') // true
 * seen('1-3', '1-2') // false
 * ```
 */
export function seenCheck(): (id: string, last: string) => boolean {
  let lastId: string | null = null
  let lastSplit: SplitId | null = null
  return (id, last) => {
    if (last !== lastId) {
      lastId = last
      lastSplit = splitId(last)
    }
    const next = splitId(id)
    return next !== null && lastSplit !== null && order(next, lastSplit) <= 0
  }
}
