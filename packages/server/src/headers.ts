import type { IncomingMessage } from 'node:http'

/** Request headers as `authorize` and `message` listeners see them: lowercase names, one string each. */
export type HeaderMap = Readonly<Record<string, string>>

/** The headers of an HTTP request, frozen, repeated ones joined as Node joins them. */
export function headersOf(request: IncomingMessage): HeaderMap {
  const entries: Array<[string, string]> = []
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue
    entries.push([name, Array.isArray(value) ? value.join(', ') : value])
  }
  return Object.freeze(Object.fromEntries(entries))
}
