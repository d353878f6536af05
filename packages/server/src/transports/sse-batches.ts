import { forEachBatch } from '../batch-limit'
import { MULTI_SSE_EVENTS } from '../protocol'
import { sameTexts } from '../shared-join'

/** What a `!batch` event's data line holds besides its frames: `data: [` and `]`. */
const LINE_OVERHEAD = 8
const OPEN_BRACE = 123

let lastTexts: readonly string[] = []
let lastLimit = 0
let lastWritten = ''

/**
 * The events of one tick of a multiplexed SSE stream whose client reads batches: each run of
 * message frames (socket frames, JSON objects: the texts that start with `{`) becomes `!batch`
 * events whose data line is at most `limit` characters, the other texts (control events, already
 * SSE) stay as they are, in order. The same texts give the same string, joined once for every
 * stream of a fan-out.
 *
 * @example
 * ```ts
 * sseBatches(['{"type":"message","channel":"a","id":"1-0","data":1}'], 65536)
 * // 'event: !batch\ndata: [{"type":"message","channel":"a","id":"1-0","data":1}]\n\n'
 * ```
 */
export function sseBatches(texts: readonly string[], limit: number): string {
  if (limit === lastLimit && sameTexts(texts, lastTexts)) return lastWritten
  let written = ''
  const batch = (start: number, end: number): void => {
    written += `event: ${MULTI_SSE_EVENTS.batch}\ndata: [${texts.slice(start, end).join(',')}]\n\n`
  }
  let index = 0
  while (index < texts.length) {
    if (!isFrame(texts[index] as string)) {
      written += texts[index++]
      continue
    }
    let end = index + 1
    while (end < texts.length && isFrame(texts[end] as string)) end++
    forEachBatch(texts, index, end, limit - LINE_OVERHEAD, batch)
    index = end
  }
  lastTexts = texts
  lastLimit = limit
  lastWritten = written
  return written
}

/** Whether a text is a message frame (a JSON object), not an SSE event already. */
const isFrame = (text: string): boolean => text.charCodeAt(0) === OPEN_BRACE

/**
 * Whether a message frame fits a `!batch` event of `limit` characters on its own; one that does
 * not goes as a plain event of its channel.
 */
export function fitsBatch(frame: string, limit: number): boolean {
  return frame.length + LINE_OVERHEAD <= limit
}
