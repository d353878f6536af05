const ID = /^(\d+)-(\d+)$/

/**
 * Compares two message ids (`<ms>-<seq>`, the form Redis Streams uses). Ids of another form
 * order before every valid one, so a foreign id never matches history.
 */
export function compareIds(a: string, b: string): number {
  const x = ID.exec(a)
  const y = ID.exec(b)
  if (!x || !y) return x ? 1 : y ? -1 : 0
  return Number(x[1]) - Number(y[1]) || Number(x[2]) - Number(y[2])
}

/**
 * Makes ids that grow strictly, even when the clock stands still or steps back: the time in ms,
 * then a sequence within that ms.
 */
export function createIdGenerator(now: () => number = Date.now): () => string {
  let lastMs = 0
  let seq = 0
  return () => {
    const ms = Math.max(now(), lastMs)
    seq = ms === lastMs ? seq + 1 : 0
    lastMs = ms
    return `${ms}-${seq}`
  }
}
