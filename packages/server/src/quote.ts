/** The most characters of a client's input that a message, a frame or a log line repeats. */
export const MAX_QUOTED = 200

/**
 * Describes a client's value for a message meant for people, in bounded time and size: a string
 * is quoted and cut to {@link MAX_QUOTED} characters, a number or boolean is written out, and
 * anything else is named by its kind. Nothing is serialized or joined, so no nesting can make it
 * throw (`JSON.stringify` and `String` recurse into arrays and overflow the stack).
 */
export function quote(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(cut(value))
    case 'number':
    case 'boolean':
      return String(value)
    case 'undefined':
      return 'nothing'
    case 'object':
      return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object'
    default:
      return `a ${typeof value}`
  }
}

/** `text` cut to {@link MAX_QUOTED} characters, with `…` when something was cut. */
export function cut(text: string): string {
  return text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text
}
