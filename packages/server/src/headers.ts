import type { IncomingMessage } from 'node:http'

/** Request headers as `authorize` and `message` listeners see them: lowercase names, one string each. */
export type HeaderMap = Readonly<Record<string, string>>

/** Headers a client cannot vouch for in a `hello` frame: the browser or the connection sets them. */
const FIXED_NAMES = new Set([
  'host',
  'origin',
  'cookie',
  'connection',
  'upgrade',
  'content-length',
  'transfer-encoding',
])

/** Whether a `hello` frame may set the header `name` (lowercase): not one the browser controls. */
export function isOverridable(name: string): boolean {
  return !FIXED_NAMES.has(name) && !name.startsWith('sec-') && !name.startsWith('proxy-')
}

/** The headers of an HTTP request, frozen, repeated ones joined as Node joins them. */
export function headersOf(request: IncomingMessage): HeaderMap {
  const entries: Array<[string, string]> = []
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue
    entries.push([name, Array.isArray(value) ? value.join(', ') : value])
  }
  return Object.freeze(Object.fromEntries(entries))
}

/**
 * `base` with the `hello` frame's `extra` headers over it, except those the browser controls.
 * Built with `Object.fromEntries`, so no name (`__proto__` included) can reach a prototype.
 */
export function overlay(base: HeaderMap, extra: HeaderMap): HeaderMap {
  const added = Object.entries(extra).filter(([name]) => isOverridable(name))
  return Object.freeze(Object.fromEntries([...Object.entries(base), ...added]))
}
