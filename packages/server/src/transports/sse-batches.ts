import { MULTI_SSE_EVENTS } from '../protocol'

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
  let run: string[] = []
  let size = LINE_OVERHEAD
  const endRun = (): void => {
    if (run.length === 0) return
    written += `event: ${MULTI_SSE_EVENTS.batch}\ndata: [${run.join(',')}]\n\n`
    run = []
    size = LINE_OVERHEAD
  }
  for (const text of texts) {
    if (text.charCodeAt(0) !== OPEN_BRACE) {
      endRun()
      written += text
      continue
    }
    if (run.length > 0 && size + text.length + 1 > limit) endRun()
    run.push(text)
    size += text.length + 1
  }
  endRun()
  lastTexts = texts
  lastLimit = limit
  lastWritten = written
  return written
}

/**
 * Whether a message frame fits a `!batch` event of `limit` characters on its own; one that does
 * not goes as a plain event of its channel.
 */
export function fitsBatch(frame: string, limit: number): boolean {
  return frame.length + LINE_OVERHEAD <= limit
}

function sameTexts(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false
  return true
}
