import { describe, expect, it } from 'vitest'
import { createSseParser, type ServerSentEvent } from '../src/sse-parser'

interface Parsed {
  events: ServerSentEvent[]
  retries: number[]
  comments: string[]
  overflows: number
}

function parse(chunks: string[], maxLineLength?: number): Parsed {
  const out: Parsed = { events: [], retries: [], comments: [], overflows: 0 }
  const parser = createSseParser(
    {
      onEvent: (event) => out.events.push(event),
      onRetry: (ms) => out.retries.push(ms),
      onComment: (text) => out.comments.push(text),
      onOverflow: () => out.overflows++,
    },
    maxLineLength === undefined ? {} : { maxLineLength },
  )
  for (const chunk of chunks) parser.push(chunk)
  return out
}

/** Parses `stream` whole, at every split into two chunks, and one character at a time. */
function expectEverySplit(stream: string, expected: Partial<Parsed>): void {
  const splits: string[][] = [[stream], [...stream]]
  for (let i = 1; i < stream.length; i++) splits.push([stream.slice(0, i), stream.slice(i)])
  for (const chunks of splits) {
    const result = parse(chunks)
    if (expected.events) expect(result.events, JSON.stringify(chunks)).toEqual(expected.events)
    if (expected.retries) expect(result.retries, JSON.stringify(chunks)).toEqual(expected.retries)
    if (expected.comments)
      expect(result.comments, JSON.stringify(chunks)).toEqual(expected.comments)
  }
}

const message = (data: string, event = 'message', id = ''): ServerSentEvent => ({ data, event, id })

describe('createSseParser', () => {
  it('dispatches an unnamed event as "message"', () => {
    expectEverySplit('data: hello\n\n', { events: [message('hello')] })
  })

  it('dispatches named events', () => {
    expectEverySplit('event: price\ndata: 1\n\nevent: news\ndata: 2\n\n', {
      events: [message('1', 'price'), message('2', 'news')],
    })
  })

  it('keeps the last id for the events that follow', () => {
    expectEverySplit('id: 7\ndata: a\n\ndata: b\n\nid: 8\ndata: c\n\n', {
      events: [
        message('a', 'message', '7'),
        message('b', 'message', '7'),
        message('c', 'message', '8'),
      ],
    })
  })

  it('an empty id resets the last id', () => {
    expectEverySplit('id: 7\ndata: a\n\nid\ndata: b\n\n', {
      events: [message('a', 'message', '7'), message('b')],
    })
  })

  it('ignores an id containing NUL', () => {
    expectEverySplit('id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n', {
      events: [message('a', 'message', '1'), message('b', 'message', '1')],
    })
  })

  it('reports retry and ignores a bogus retry', () => {
    expectEverySplit('retry: 1500\nretry: 10s\nretry: -1\nretry:\nretry: 2 0\ndata: x\n\n', {
      retries: [1500],
      events: [message('x')],
    })
  })

  it('reports comments and ignores them as data', () => {
    expectEverySplit(': heartbeat\n:\ndata: x\n: between\n\n', {
      comments: ['heartbeat', '', 'between'],
      events: [message('x')],
    })
  })

  it('joins data on several lines with LF', () => {
    expectEverySplit('data: one\ndata: two\ndata\ndata:  three\n\n', {
      events: [message('one\ntwo\n\n three')],
    })
  })

  it('accepts LF, CR and CRLF line ends, also split across chunks', () => {
    expectEverySplit('data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r\n\n', {
      events: [message('a'), message('b'), message('c'), message('d')],
    })
  })

  it('strips a leading BOM once', () => {
    expectEverySplit('\uFEFFdata: a\n\n', { events: [message('a')] })
    expect(parse(['\uFEFF\uFEFFdata: a\n\n']).events).toEqual([])
  })

  it('does not dispatch an event without a blank line after it', () => {
    expectEverySplit('data: a\n\ndata: unfinished\n', { events: [message('a')] })
  })

  it('does not dispatch an event without data, and forgets its type', () => {
    expectEverySplit('event: lonely\n\ndata: x\n\n', { events: [message('x')] })
  })

  it('a field without a colon has an empty value', () => {
    expectEverySplit('data\n\n', { events: [message('')] })
  })

  it('takes only one space after the colon away', () => {
    expectEverySplit('data:no-space\n\ndata:  two\n\n', {
      events: [message('no-space'), message(' two')],
    })
  })

  it('ignores unknown fields', () => {
    expectEverySplit('foo: bar\ndata: x\n\n', { events: [message('x')] })
  })

  it('drops an overlong line with its event, reports it, and goes on', () => {
    const long = 'x'.repeat(100)
    const result = parse(
      ['data: a\n\ndata: ', long.slice(0, 50), long.slice(50), '\n\ndata: b\n\n'],
      20,
    )
    expect(result.events).toEqual([message('a'), message('b')])
    expect(result.overflows).toBe(1)
  })

  it('drops an overlong line that arrives whole in one chunk, as it would in pieces', () => {
    const result = parse([`data: a\n\ndata: ${'x'.repeat(100)}\n\ndata: b\n\n`], 20)
    expect(result.events).toEqual([message('a'), message('b')])
    expect(result.overflows).toBe(1)
  })
})
