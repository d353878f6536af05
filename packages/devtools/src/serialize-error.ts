import { clip } from './clip'

/** An error as JSON carries it: its name, code and message, not the `{}` of `JSON.stringify`. */
export interface SerializedError {
  name: string
  message: string
  code?: string
  status?: number
  serverCode?: string
  retryable?: boolean
  /**
   * An `Error` cause spelled out the same way; anything else as JSON takes it (a plain object as
   * an object, a cycle in it as `[Circular]`, a function as `[function]`…).
   */
  cause?: unknown
}

/** The most characters one serialized error holds (its texts together); the rest is `…`. */
const MAX_TEXT = 10_000
/** How deep causes, and objects inside a value, are followed. */
const MAX_DEPTH = 3
/** What is taken of an `Error`, each when of this type (the cause when there is one). */
const ERROR_FIELDS: Record<string, string> = {
  name: 'string',
  message: 'string',
  code: 'string',
  status: 'number',
  serverCode: 'string',
  retryable: 'boolean',
  cause: '',
}

/**
 * Turns an error (a `LiveDataError`, any `Error`, or whatever was thrown) into plain JSON: the
 * name, message and, when present, `code`, `status`, `serverCode`, `retryable` and `cause` (an
 * `Error` spelled out the same way, anything else as JSON takes it). Anything else thrown (a
 * plain object, `Object.create(null)`, a string) becomes its JSON, as a string. It never throws:
 * a cycle is `[Circular]`, a property whose getter throws `[thrown]`, a function `[function]`
 * (a symbol `[symbol]`, a bigint `[bigint]`); it follows 3 levels of causes and of objects, and
 * keeps 10,000 characters of text in all, the rest being `…`.
 *
 * @example
 * ```ts
 * serializeError(new LiveDataError('ERR_NETWORK', 'fetch failed'))
 * // { name: 'LiveDataError', message: 'fetch failed', code: 'ERR_NETWORK', retryable: true }
 * serializeError({ reason: 'timeout' }) // '{"reason":"timeout"}'
 * serializeError(new Error('x', { cause: { reason: 'timeout' } }))
 * // { name: 'Error', message: 'x', cause: { reason: 'timeout' } }
 * ```
 */
export function serializeError(error: unknown): SerializedError | string {
  // Characters left (each value takes one, each text its length), and what Errors became.
  let room = MAX_TEXT
  const errors = new WeakSet()
  const walk = (value: unknown, seen: unknown[]): unknown => {
    if (--room < 0) return '…'
    if (typeof value === 'string') {
      const text = clip(value, Math.max(room, 1))
      room -= text.length
      return text
    }
    if (value === null || typeof value === 'number' || typeof value === 'boolean') return value
    if (typeof value !== 'object') return `[${typeof value}]`
    if (seen.includes(value)) return '[Circular]'
    if (seen.length > MAX_DEPTH) return '…'
    seen = [...seen, value]
    try {
      const isError = value instanceof Error
      // An array (or a typed one) by index, no further than the room left: never all its keys.
      const list = Array.isArray(value) || ArrayBuffer.isView(value)
      const keys = list
        ? Array.from({ length: Math.min((value as ArrayLike<unknown>).length, room) }, (_, i) => i)
        : Object.keys(isError ? ERROR_FIELDS : value)
      const entries: unknown[][] = []
      for (const key of keys) {
        let item: unknown
        try {
          item = (value as Record<string, unknown>)[key]
        } catch {
          item = '[thrown]'
        }
        const type = isError && ERROR_FIELDS[key]
        // Left out like JSON leaves it out: a property that is undefined, a field of another
        // type; in an array, `null` in its place, as JSON has it.
        if (list && item === undefined) item = null
        else if (type ? typeof item !== type : item === undefined) continue
        room -= String(key).length
        entries.push([key, walk(item, seen)])
        if (room < 0) break
      }
      if (list) return entries.map((entry) => entry[1])
      const out = Object.fromEntries(entries)
      if (isError) errors.add(out)
      return out
    } catch {
      // A proxy whose traps throw, say.
      return '[thrown]'
    }
  }
  const out = walk(error, [])
  return errors.has(out as object)
    ? (out as SerializedError)
    : typeof out === 'string'
      ? out
      : clip(JSON.stringify(out), MAX_TEXT)
}
