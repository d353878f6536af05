import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSseParser } from '../src/sse-parser'

// The SSE parser takes whatever a server (or anything in between) sends. Thousands of generated
// inputs: hostile text cut at random places, huge lines, every mix of CR and LF. The invariant:
// the parser never throws and never hangs, what it reports is valid (events without line ends,
// lines within the limit, or a clear onOverflow), and it reports the same whatever the chunking.
// A hang would show as the test's timeout: the parser is synchronous.

/** Everything the parser reported, in order. */
type Report = Array<
  ['event', string, string, string] | ['retry', number] | ['comment', string] | ['overflow']
>

function run(chunks: readonly string[], maxLineLength?: number): Report {
  const report: Report = []
  const parser = createSseParser(
    {
      onEvent: ({ event, data, id }) => report.push(['event', event, data, id]),
      onRetry: (ms) => report.push(['retry', ms]),
      onComment: (text) => report.push(['comment', text]),
      onOverflow: () => report.push(['overflow']),
    },
    maxLineLength === undefined ? {} : { maxLineLength },
  )
  for (const chunk of chunks) parser.push(chunk)
  return report
}

/** Cuts `text` at the given positions (taken modulo its length), in order. */
function cut(text: string, positions: readonly number[]): string[] {
  const at = [...new Set(positions.map((p) => (text.length ? p % (text.length + 1) : 0)))].sort(
    (a, b) => a - b,
  )
  const chunks: string[] = []
  let start = 0
  for (const position of [...at, text.length]) {
    chunks.push(text.slice(start, position))
    start = position
  }
  return chunks
}

// The pieces a hostile stream is made of: field names, separators, every line end, NUL, a BOM,
// lone surrogates, long runs.
const piece = fc.oneof(
  fc.constantFrom(
    'data',
    'data:',
    'data: ',
    'event:',
    'event: livedata.gap',
    'id:',
    'id: 1-0',
    'retry:',
    'retry: 1000',
    ':',
    ': heartbeat',
    ' ',
    '\n',
    '\r',
    '\r\n',
    '\n\n',
    '\r\r',
    '\0',
    '\uFEFF',
    '\uD800',
    '\uDC00',
    '{"a":1}',
    '😀',
  ),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.nat({ max: 3000 }).map((n) => 'x'.repeat(n)),
)
const hostile = fc.array(piece, { maxLength: 60 }).map((pieces) => pieces.join(''))
const positions = fc.array(fc.nat({ max: 100_000 }), { maxLength: 30 })
const limit = fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined })

const NUM_RUNS = 3000

describe('the SSE parser under fuzzing', () => {
  it(`reports valid events, or a clear overflow, whatever the input and chunking (${NUM_RUNS} runs)`, () => {
    fc.assert(
      fc.property(hostile, positions, limit, (text, cuts, max) => {
        const report = run(cut(text, cuts), max)
        for (const entry of report) {
          if (entry[0] === 'event') {
            const [, event, data, id] = entry
            expect(event).not.toMatch(/[\r\n]/)
            expect(data).not.toMatch(/\r/)
            expect(id).not.toMatch(/[\r\n\0]/)
            if (max !== undefined) {
              for (const line of data.split('\n')) expect(line.length).toBeLessThanOrEqual(max)
            }
          }
          if (entry[0] === 'retry')
            expect(Number.isSafeInteger(entry[1]) || entry[1] > 0).toBe(true)
          if (entry[0] === 'comment') expect(entry[1]).not.toMatch(/[\r\n]/)
        }
      }),
      { numRuns: NUM_RUNS },
    )
  })

  it(`reports the same whatever the chunk boundaries (${NUM_RUNS} runs)`, () => {
    fc.assert(
      fc.property(hostile, positions, positions, limit, (text, a, b, max) => {
        const whole = run([text], max)
        expect(run(cut(text, a), max)).toEqual(whole)
        expect(run(cut(text, b), max)).toEqual(whole)
      }),
      { numRuns: NUM_RUNS },
    )
  })

  it(`gives back the events a server wrote, with any line ends and chunking (${NUM_RUNS} runs)`, () => {
    const line = fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ''))
    const event = fc.record({
      event: fc.option(
        line.filter((s) => s !== '' && s === s.trim()),
        { nil: undefined },
      ),
      id: fc.option(
        line.map((s) => s.replace(/\0/g, '')),
        { nil: undefined },
      ),
      data: fc.array(line, { minLength: 1, maxLength: 4 }),
    })
    const ending = fc.constantFrom('\n', '\r', '\r\n')
    fc.assert(
      fc.property(fc.array(event, { maxLength: 8 }), ending, positions, (events, eol, cuts) => {
        let text = ''
        let lastId = ''
        const expected: Report = []
        for (const { event: name, id, data } of events) {
          if (name !== undefined) text += `event: ${name}${eol}`
          if (id !== undefined) {
            text += `id: ${id}${eol}`
            lastId = id
          }
          for (const value of data) text += `data: ${value}${eol}`
          text += eol
          expected.push(['event', name ?? 'message', data.join('\n'), lastId])
        }
        expect(run(cut(text, cuts))).toEqual(expected)
      }),
      { numRuns: NUM_RUNS },
    )
  })
})
