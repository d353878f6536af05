/** What the follower reads of `XINFO STREAM`: see {@link toStreamInfo}. */
export interface StreamInfo {
  /** Entries in the stream now. */
  length: number
  /** The id of the newest entry ever added (still there or not); `0-0` for none. */
  lastGeneratedId: string
  /**
   * How many entries were ever added to the stream (so `entriesAdded - length` were removed,
   * the oldest ones when trims removed them); `undefined` before Redis 7, which does not say.
   */
  entriesAdded: number | undefined
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8')
  return undefined
}

/** The reply's fields as name → value: a flat list (RESP2), a `Map` or an object (RESP3). */
function fieldsOf(reply: unknown): Map<string, unknown> {
  const fields = new Map<string, unknown>()
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const name = text(reply[i])
      if (name !== undefined) fields.set(name, reply[i + 1])
    }
  } else if (reply instanceof Map) {
    for (const [name, value] of reply) {
      const key = text(name)
      if (key !== undefined) fields.set(key, value)
    }
  } else if (typeof reply === 'object' && reply !== null) {
    for (const [name, value] of Object.entries(reply)) fields.set(name, value)
  }
  return fields
}

/**
 * An `XINFO STREAM <stream>` reply (as `EXEC` gives it: an error is an `Error`) as the follower
 * reads it; `null` when there is no such stream (Redis answers `ERR no such key`). Another error
 * is thrown.
 *
 * @example
 * ```ts
 * const [info] = await connection.transaction([['XINFO', 'STREAM', 'livedata:ch:prices']])
 * toStreamInfo(info) // { length: 1000, lastGeneratedId: '1700000000123-0', entriesAdded: 52000 }
 * ```
 */
export function toStreamInfo(reply: unknown): StreamInfo | null {
  if (reply instanceof Error) {
    if (/no such key/i.test(reply.message)) return null
    throw reply
  }
  const fields = fieldsOf(reply)
  const added = text(fields.get('entries-added'))
  return {
    length: Number(text(fields.get('length')) ?? 0),
    lastGeneratedId: text(fields.get('last-generated-id')) ?? '0-0',
    entriesAdded: added === undefined ? undefined : Number(added),
  }
}
