/**
 * The Redis keys of one channel under `prefix`: its stream (the channel's log, whose entry ids
 * are the message ids) and its epoch (set when the stream is first written; a new epoch means
 * the log was lost, and cursors from before are a gap). See docs/decisions/scale-out.md.
 *
 * @example
 * ```ts
 * channelKeys('livedata', 'prices') // { stream: 'livedata:ch:prices', epoch: 'livedata:epoch:prices' }
 * ```
 */
export function channelKeys(prefix: string, channel: string): { stream: string; epoch: string } {
  return { stream: `${prefix}:ch:${channel}`, epoch: `${prefix}:epoch:${channel}` }
}

/** A stream entry's fields: `d` the payload as JSON, `e` the event name when there is one. */
export const FIELDS = { data: 'd', event: 'e' } as const
