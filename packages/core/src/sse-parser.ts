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

  const processLine = (line: string): void => {
    if (line === '') {
      dispatch()
      return
    }
    const colon = line.indexOf(':')
    if (colon === 0) {
      callbacks.onComment?.(line.slice(1).replace(/^ /, ''))
      return
    }
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.charCodeAt(0) === 32) value = value.slice(1)
    switch (field) {
      case 'data':
        data = hasData ? `${data}\n${value}` : value
        hasData = true
        break
      case 'event':
        eventType = value
        break
      case 'id':
        if (!value.includes('\0')) lastEventId = value
        break
      case 'retry':
        if (DIGITS.test(value)) callbacks.onRetry?.(Number(value))
        break
      // Unknown fields are ignored, as the standard says.
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
        else processLine(text.slice(start, end))
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
