/** One dispatched event of a text/event-stream, as the WHATWG HTML standard defines it. */
export interface ServerSentEvent {
  /** The event type: the last `event:` field, or `'message'` when there was none. */
  event: string
  /** The `data:` fields joined with `\n`. */
  data: string
  /** The last event id seen on the stream so far (it persists across events), `''` if none. */
  id: string
}

/** What the parser reports besides events. */
export interface SseParserCallbacks {
  /** A complete event was dispatched. */
  onEvent(event: ServerSentEvent): void
  /** A valid `retry:` field (digits only) set the reconnection time, in milliseconds. */
  onRetry?(ms: number): void
  /** A comment line (`: ...`), e.g. a heartbeat. Receives the text after the colon. */
  onComment?(text: string): void
  /** A line longer than `maxLineLength` was dropped, and with it the event it belonged to. */
  onOverflow?(): void
}

/** Limits of the parser. */
export interface SseParserOptions {
  /** The longest line kept, in characters; longer ones are dropped. Default: no limit. */
  maxLineLength?: number
}

/** A push parser: feed it decoded text chunks as they arrive, in any split. */
export interface SseParser {
  /** Feeds the next chunk of decoded text. */
  push(chunk: string): void
}

const LF = 10
const COLON = 58
const SPACE = 32
const DIGITS = /^\d+$/

/**
 * Creates a WHATWG-conformant text/event-stream parser: `event`, `data`, `id` and `retry`
 * fields, comments, CR / LF / CRLF line ends (a CRLF may be split across chunks), a leading
 * BOM, multi-line `data`, an `id` containing NUL ignored, a non-numeric `retry` ignored.
 * Input must already be decoded text (use `TextDecoder` with `stream: true`).
 *
 * @example
 * ```ts
 * const parser = createSseParser({ onEvent: (e) => console.log(e.event, e.data) })
 * parser.push('event: price\ndata: {"p":1}\n\n')
 * ```
 */
export function createSseParser(
  callbacks: SseParserCallbacks,
  options: SseParserOptions = {},
): SseParser {
  const maxLineLength = options.maxLineLength ?? Number.POSITIVE_INFINITY
  let buffer = ''
  // Set while the rest of an overlong line, and the event it belongs to, are being dropped.
  let discardingLine = false
  let discardingEvent = false
  let seenFirstChunk = false
  // A chunk ending in CR may be followed by the LF of the same CRLF in the next chunk.
  let skipLeadingLf = false
  let data = ''
  let hasData = false
  let eventType = ''
  let lastEventId = ''

  const dispatch = (): void => {
    if (discardingEvent) {
      discardingEvent = false
      data = ''
      hasData = false
      eventType = ''
      return
    }
    if (!hasData) {
      eventType = ''
      return
    }
    const event: ServerSentEvent = { event: eventType || 'message', data, id: lastEventId }
    data = ''
    hasData = false
    eventType = ''
    callbacks.onEvent(event)
  }

  // A line over the limit drops the event it belongs to, reported once per event.
  const overflow = (): void => {
    if (discardingEvent) return
    discardingEvent = true
    callbacks.onOverflow?.()
  }

  // A line is read where it lies in the chunk's text (from `start` to `end`): only a field's
  // value is ever cut out of it. This runs three times per event.
  const processLine = (text: string, start: number, end: number): void => {
    if (start === end) {
      dispatch()
      return
    }
    let colon = start
    while (colon < end && text.charCodeAt(colon) !== COLON) colon++
    if (colon === start) {
      callbacks.onComment?.(text.slice(start + 1, end).replace(/^ /, ''))
      return
    }
    let from = colon < end ? colon + 1 : end
    if (from < end && text.charCodeAt(from) === SPACE) from++
    switch (colon - start) {
      case 4:
        if (!text.startsWith('data', start)) return
        data = hasData ? `${data}\n${text.slice(from, end)}` : text.slice(from, end)
        hasData = true
        return
      case 5:
        if (text.startsWith('event', start)) eventType = text.slice(from, end)
        else if (text.startsWith('retry', start)) {
          const value = text.slice(from, end)
          if (DIGITS.test(value)) callbacks.onRetry?.(Number(value))
        }
        return
      case 2:
        if (text.startsWith('id', start)) {
          const value = text.slice(from, end)
          if (!value.includes('\0')) lastEventId = value
        }
    }
  }

  return {
    push(chunk: string): void {
      if (chunk === '') return
      if (!seenFirstChunk) {
        seenFirstChunk = true
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1)
      }
      if (skipLeadingLf) {
        skipLeadingLf = false
        if (chunk.charCodeAt(0) === LF) chunk = chunk.slice(1)
      }
      const text = buffer + chunk
      let start = 0
      // The buffer holds no line end, so the search starts where the new chunk does. Native
      // indexOf finds line ends far faster than a loop over every character; a stream without
      // CR searches for it once.
      let lf = text.indexOf('\n', buffer.length)
      let cr = text.indexOf('\r', buffer.length)
      while (lf !== -1 || cr !== -1) {
        const end = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr
        if (discardingLine) discardingLine = false
        // A line over the limit that arrived whole is dropped like one that arrived in pieces:
        // the outcome must not depend on where the chunks were cut.
        else if (end - start > maxLineLength) overflow()
        else processLine(text, start, end)
        start = end + 1
        if (end === cr) {
          if (start === text.length) skipLeadingLf = true
          else if (text.charCodeAt(start) === LF) start++
        }
        if (lf !== -1 && lf < start) lf = text.indexOf('\n', start)
        if (cr !== -1 && cr < start) cr = text.indexOf('\r', start)
      }
      buffer = discardingLine ? '' : text.slice(start)
      if (buffer.length > maxLineLength) {
        buffer = ''
        discardingLine = true
        overflow()
      }
    },
  }
}
