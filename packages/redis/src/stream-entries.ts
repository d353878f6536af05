import type { StoredMessage } from '@livedata/server/backplane'
import { FIELDS } from './keys'

/** A reply's string, whether the client gives strings or buffers. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8')
  return undefined
}

/** An entry's fields as name → value: a flat `[name, value, …]` list (RESP2 and 3) or a map. */
function fieldsOf(reply: unknown): Map<string, string> {
  const fields = new Map<string, string>()
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const name = text(reply[i])
      const value = text(reply[i + 1])
      if (name !== undefined && value !== undefined) fields.set(name, value)
    }
  } else if (reply instanceof Map) {
    for (const [name, value] of reply) {
      const n = text(name)
      const v = text(value)
      if (n !== undefined && v !== undefined) fields.set(n, v)
    }
  } else if (typeof reply === 'object' && reply !== null) {
    for (const [name, value] of Object.entries(reply)) {
      const v = text(value)
      if (v !== undefined) fields.set(name, v)
    }
  }
  return fields
}

/**
 * The messages of one channel from an `XRANGE`/`XREVRANGE` reply (or one stream of an `XREAD`
 * reply): `[[id, [field, value, …]], …]`, in the reply's order. An entry without a payload
 * field (not written by this package) is read as `null`, so that its id still counts.
 *
 * @example
 * ```ts
 * toStoredMessages('prices', [['1-0', ['d', '{"AAPL":1}', 'e', 'tick']]])
 * // [{ id: '1-0', channel: 'prices', event: 'tick', json: '{"AAPL":1}' }]
 * ```
 */
export function toStoredMessages(channel: string, reply: unknown): StoredMessage[] {
  if (!Array.isArray(reply)) return []
  const messages: StoredMessage[] = []
  for (const entry of reply) {
    if (!Array.isArray(entry)) continue
    const id = text(entry[0])
    if (id === undefined) continue
    const fields = fieldsOf(entry[1])
    messages.push({
      id,
      channel,
      event: fields.get(FIELDS.event),
      json: fields.get(FIELDS.data) ?? 'null',
    })
  }
  return messages
}

/**
 * The streams of an `XREAD` reply, key → its entries (still a reply, for
 * {@link toStoredMessages}): `null` (nothing arrived) is an empty map; RESP2 gives
 * `[[key, entries], …]`, RESP3 a map (an object or a `Map`, by the client's type mapping).
 *
 * @example
 * ```ts
 * streamsOf([['livedata:ch:prices', [['1-0', ['d', '1']]]]]).get('livedata:ch:prices')
 * ```
 */
export function streamsOf(reply: unknown): Map<string, unknown> {
  const streams = new Map<string, unknown>()
  if (Array.isArray(reply)) {
    for (const stream of reply) {
      const key = Array.isArray(stream) ? text(stream[0]) : undefined
      if (key !== undefined) streams.set(key, (stream as unknown[])[1])
    }
  } else if (reply instanceof Map) {
    for (const [key, entries] of reply) {
      const name = text(key)
      if (name !== undefined) streams.set(name, entries)
    }
  } else if (typeof reply === 'object' && reply !== null) {
    for (const [key, entries] of Object.entries(reply)) streams.set(key, entries)
  }
  return streams
}
