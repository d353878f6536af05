/**
 * The size in bytes of `value` as JSON text, counted only up to `limit`: past it, the count stops
 * and a number over `limit` comes back. Exact for what `JSON.parse` returns; for other values (a
 * body middleware built) an estimate that never calls the app's code (`toJSON`, getters are
 * counted as what they hold, or not at all). Never throws and never recurses: any nesting, a
 * cycle or a throwing getter ends the count, over `limit` for a cycle, as counted so far for a
 * getter. Its work is bounded by `limit` (every value counted adds at least one byte), beyond
 * listing the keys of an object it reaches.
 *
 * @example
 * ```ts
 * jsonSize({ data: 'hi' }, 1024) // 13, the length of {"data":"hi"}
 * jsonSize({ data: 'x'.repeat(5e6) }, 1024) > 1024 // true, after one string
 * ```
 */
export function jsonSize(value: unknown, limit: number): number {
  let size = 0
  const stack: unknown[] = [value]
  try {
    while (stack.length > 0 && size <= limit) {
      const item = stack.pop()
      switch (typeof item) {
        case 'string':
          // UTF-8 never takes fewer bytes than UTF-16 units: a long string is over without a copy.
          size += item.length > limit ? item.length : Buffer.byteLength(JSON.stringify(item))
          break
        case 'number':
          size += Number.isFinite(item) ? String(item).length : 4
          break
        case 'boolean':
          size += item ? 4 : 5
          break
        case 'bigint':
          size += String(item).length
          break
        case 'object': {
          if (item === null) {
            size += 4
          } else if (Array.isArray(item)) {
            // Brackets and commas; a hole or an `undefined` is written `null`.
            size += 2 + Math.max(0, item.length - 1)
            for (let i = item.length - 1; i >= 0 && size <= limit; i--) {
              const element: unknown = item[i]
              stack.push(element === undefined || typeof element === 'function' ? null : element)
            }
          } else {
            size += 2
            let first = true
            for (const key of Object.keys(item)) {
              const field: unknown = (item as Record<string, unknown>)[key]
              if (field === undefined || typeof field === 'function' || typeof field === 'symbol') {
                continue
              }
              // "key": and a comma before every field but the first.
              size += (first ? 0 : 1) + Buffer.byteLength(JSON.stringify(key)) + 1
              first = false
              stack.push(field)
              if (size > limit) break
            }
          }
          break
        }
        default:
          // undefined, a function or a symbol at the top: JSON writes nothing.
          break
      }
    }
  } catch {
    // A throwing getter or a revoked Proxy: what was counted stands.
  }
  return size
}
