import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type FrameReading, readClientFrame } from '../src/client-frames'
import { isChannelName } from '../src/hub'
import { jsonSize } from '../src/json-size'
import { readSendBody, type SendReading } from '../src/send-body'

/** Generated inputs per property; the report quotes it. */
const RUNS = 5000

/** JSON text nested `depth` deep, in arrays, objects or both. */
const deepJson = fc
  .record({
    // Mostly shallow; often past the ~4,500 levels where JSON.stringify overflows the stack.
    depth: fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 100 }), weight: 3 },
      { arbitrary: fc.integer({ min: 4000, max: 10_000 }), weight: 2 },
    ),
    kind: fc.constantFrom('array', 'object', 'mixed'),
  })
  .map(({ depth, kind }) => {
    if (kind === 'array') return `${'['.repeat(depth)}0${']'.repeat(depth)}`
    if (kind === 'object') return `${'{"k":'.repeat(depth)}0${'}'.repeat(depth)}`
    const half = Math.ceil(depth / 2)
    return `${'[{"k":'.repeat(half)}0${'}]'.repeat(half)}`
  })

/** A tree of any depth fast-check likes, for values rather than text. */
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: 'medium', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 1 }),
    fc.array(tie('tree'), { maxLength: 3 }),
    fc.dictionary(fc.string(), tie('tree'), { maxKeys: 3 }),
  ),
}))

const hugeString = fc.integer({ min: 0, max: 100_000 }).map((n) => 'x'.repeat(n))

/** JSON text of any value, or nothing when JSON cannot hold it. */
const jsonOf = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? 'undefined'
  } catch {
    return '{}'
  }
}

/** A field value a hostile client could put in a frame, as JSON text. */
const fieldText = fc.oneof(
  { arbitrary: fc.json(), weight: 4 },
  { arbitrary: deepJson, weight: 1 },
  { arbitrary: hugeString.map((text) => JSON.stringify(text)), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      '"hello"',
      '"subscribe"',
      '"send"',
      '"chat"',
      '3',
      '-1',
      '1e400',
      'null',
      '"__proto__"',
    ),
    weight: 4,
  },
  { arbitrary: fc.anything().map(jsonOf), weight: 2 },
)

/** Frames shaped like the protocol's, with hostile values in any field. */
const frameText = fc
  .record(
    {
      type: fc.oneof(
        fc.constantFrom('"hello"', '"subscribe"', '"unsubscribe"', '"send"'),
        fieldText,
      ),
      channel: fc.oneof(fc.constantFrom('"chat"', '"a.b:c@d~e-f_1"'), fieldText),
      ref: fc.oneof(fc.integer().map(String), fieldText),
      data: fieldText,
      event: fieldText,
      lastEventId: fieldText,
      replay: fieldText,
      headers: fc.oneof(fc.dictionary(fc.string(), fc.string()).map(jsonOf), fieldText),
    },
    { requiredKeys: [] },
  )
  .map(
    (fields) =>
      `{${Object.entries(fields)
        .map(([k, v]) => `"${k}":${v}`)
        .join(',')}}`,
  )

const anyText = fc.oneof(
  frameText,
  fc.string({ unit: 'binary' }),
  fc.json(),
  deepJson,
  hugeString,
  fc.anything().map(jsonOf),
  tree.map(jsonOf),
)

/** What every reading of a frame must be: a valid frame, or a problem with a bounded message. */
function checkReading(text: string, reading: FrameReading): void {
  if ('problem' in reading) {
    const { message, ref, channel } = reading.problem
    expect(typeof message).toBe('string')
    expect(message.length).toBeLessThan(500)
    if (ref !== undefined) expect(Number.isSafeInteger(ref)).toBe(true)
    if (channel !== undefined) expect(channel.length).toBeLessThanOrEqual(256)
    // What it answers is named as the protocol says.
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return
    }
    const frame = parsed as { type?: unknown; ref?: unknown }
    if (frame?.type === 'send' && Number.isSafeInteger(frame.ref)) expect(ref).toBe(frame.ref)
    if (channel !== undefined) expect(frame.type).toBe('subscribe')
    if (ref !== undefined) expect(frame.type).toBe('send')
    return
  }
  const { frame } = reading
  if (frame.type === 'hello') {
    expect(Object.keys(frame.headers).length).toBeLessThanOrEqual(32)
    for (const value of Object.values(frame.headers)) expect(typeof value).toBe('string')
    return
  }
  expect(isChannelName(frame.channel)).toBe(true)
  if (frame.type === 'send') expect(Number.isSafeInteger(frame.ref)).toBe(true)
  if (frame.type === 'subscribe') {
    expect(Number.isSafeInteger(frame.replay) && frame.replay >= 0).toBe(true)
    if (frame.lastEventId !== null) expect(frame.lastEventId.length).toBeLessThanOrEqual(64)
  }
}

/** What every reading of a body must be: a send with data, or a 400/413 with a bounded message. */
function checkSend(reading: SendReading): void {
  if ('refusal' in reading) {
    expect([400, 413]).toContain(reading.refusal.status)
    expect(reading.refusal.code).toMatch(/^ERR_[A-Z_]+$/)
    expect(reading.refusal.message.length).toBeLessThan(500)
    return
  }
  expect(reading.send.event === undefined || typeof reading.send.event === 'string').toBe(true)
}

describe('fuzz', () => {
  it(`the WebSocket frame reader: ${RUNS} hostile frames, each a valid frame or a clear problem, never a throw`, () => {
    let runs = 0
    fc.assert(
      fc.property(anyText, (text) => {
        runs++
        checkReading(text, readClientFrame(text))
      }),
      { numRuns: RUNS },
    )
    expect(runs).toBe(RUNS)
  }, 60_000)

  it(`the POST body reader: ${RUNS} bodies as text, bytes or middleware's parsed value, never a throw`, () => {
    let runs = 0
    const body = fc.oneof(
      anyText,
      anyText.map((text) => Buffer.from(text)),
      fc.uint8Array({ maxLength: 2048 }),
      fc.anything(),
      tree,
      tree.map((data) => ({ data, event: 'say' })),
      fc.record({ data: fc.anything(), event: fc.anything() }, { requiredKeys: [] }),
    )
    fc.assert(
      fc.property(body, fc.integer({ min: 0, max: 128 * 1024 }), (value, maxPayload) => {
        runs++
        checkSend(readSendBody(value, maxPayload))
      }),
      { numRuns: RUNS },
    )
    expect(runs).toBe(RUNS)
  }, 60_000)

  it(`the JSON size count: ${RUNS} values, exact up to the limit, over it past the limit, never a throw`, () => {
    let runs = 0
    fc.assert(
      fc.property(
        fc.oneof(
          { arbitrary: fc.jsonValue(), weight: 4 },
          { arbitrary: deepJson.map((text) => JSON.parse(text) as unknown), weight: 1 },
        ),
        fc.integer({ min: 0, max: 4096 }),
        (value, limit) => {
          runs++
          const size = jsonSize(value, limit)
          let exact: number | null = null
          try {
            exact = Buffer.byteLength(JSON.stringify(value))
          } catch {
            // Too deep for JSON.stringify: the count still ends, over the limit or not.
          }
          if (exact === null) return
          if (exact <= limit) expect(size).toBe(exact)
          else expect(size).toBeGreaterThan(limit)
        },
      ),
      { numRuns: RUNS },
    )
    expect(runs).toBe(RUNS)
  }, 60_000)
})
