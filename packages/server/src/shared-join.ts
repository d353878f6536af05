/**
 * A `join` of texts that remembers its last answer: the same texts (the same strings, in the same
 * order) give the same string. A burst published to a thousand connections is joined once, and
 * one string is written to every socket, rather than a thousand equal copies.
 *
 * @example
 * ```ts
 * const joinFrames = sharedJoin('[', ',', ']')
 * joinFrames(['{"a":1}', '{"b":2}']) // '[{"a":1},{"b":2}]'
 * ```
 */
export function sharedJoin(
  open: string,
  separator: string,
  close: string,
): (texts: readonly string[]) => string {
  let last: readonly string[] = []
  let joined = ''
  return (texts) => {
    if (!sameTexts(texts, last)) {
      joined = open + texts.join(separator) + close
      last = texts
    }
    return joined
  }
}

/** Whether two lists hold the same texts, in the same order. */
export function sameTexts(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false
  return true
}
