import { describe, expect, it } from 'vitest'
import { createMessagePipeline } from '../src/message-pipeline'
import type { LiveSnapshot, SourceOptions, TransportMessage } from '../src/types'

// The message pipeline on its own: what each delivery makes of a source's values.

function setup<T, M = T>(options: SourceOptions<T, M>, channel = true) {
  const state: LiveSnapshot<T> = {
    status: 'open',
    data: options.initialData as T,
    error: null,
    transport: 'sse',
    tab: 'solo',
    lastEventId: null,
    attempt: 0,
    gap: false,
  }
  const target = { state, update: (patch: Partial<LiveSnapshot<T>>) => Object.assign(state, patch) }
  const pipeline = createMessagePipeline('news', channel, options, target)
  return { state, pipeline }
}

const message = (id: string | null, value: unknown, event = 'message'): TransportMessage => ({
  value,
  event,
  id,
})

const appendAll = {
  initialData: [] as number[],
  reduce: (list: number[], n: number) => [...list, n],
}

describe('message pipeline: de-duplication', () => {
  it('drops a message whose id is at or before the last one (an overlapping replay)', () => {
    const { state, pipeline } = setup<number[], number>(appendAll)
    for (const [id, n] of [
      ['1-1', 1],
      ['1-2', 2],
      ['1-2', 2],
      ['1-1', 1],
      ['1-3', 3],
    ] as const) {
      pipeline.onMessage(message(id, n))
    }
    expect(state.data).toEqual([1, 2, 3])
    expect(state.lastEventId).toBe('1-3')
  })

  it('never compares ids of another form: each such message is delivered', () => {
    const { state, pipeline } = setup<number[], number>(appendAll)
    pipeline.onMessage(message('b', 1))
    pipeline.onMessage(message('a', 2))
    pipeline.onMessage(message('a', 3))
    expect(state.data).toEqual([1, 2, 3])
  })

  it('never drops by id on a plain endpoint, whose ids are opaque', () => {
    const { state, pipeline } = setup<number[], number>(appendAll, false)
    pipeline.onMessage({ text: '1', event: 'message', id: '1-2' })
    pipeline.onMessage({ text: '2', event: 'message', id: '1-1' })
    expect(state.data).toEqual(['1', '2'])
  })

  it('keeps the last id for a message without one', () => {
    const { state, pipeline } = setup<number[], number>(appendAll)
    pipeline.onMessage(message('1-1', 1))
    pipeline.onMessage(message(null, 2))
    expect(state.data).toEqual([1, 2])
    expect(state.lastEventId).toBe('1-1')
  })
})

describe('message pipeline: events, parse, schema and reduce', () => {
  it('takes only the wanted event, and counts the others as seen', () => {
    const { state, pipeline } = setup<number[], number>({ ...appendAll, event: 'tick' })
    pipeline.onMessage(message('1-1', 1, 'other'))
    pipeline.onMessage(message('1-2', 2, 'tick'))
    pipeline.onMessage(message('1-3', 3, 'other'))
    expect(state.data).toEqual([2])
    expect(state.lastEventId).toBe('1-3')
  })

  it('a plain endpoint takes only unnamed events by default', () => {
    const { state, pipeline } = setup<string | undefined>({}, false)
    pipeline.onMessage({ text: 'named', event: 'other', id: null })
    pipeline.onMessage({ text: 'plain', event: 'message', id: null })
    expect(state.data).toBe('plain')
  })

  it('parses text as JSON for a channel, and as text for a plain endpoint', () => {
    const channel = setup<unknown>({})
    channel.pipeline.onMessage({ text: '{"a":1}', event: 'message', id: '1-1' })
    expect(channel.state.data).toEqual({ a: 1 })
    const plain = setup<unknown>({}, false)
    plain.pipeline.onMessage({ text: '{"a":1}', event: 'message', id: null })
    expect(plain.state.data).toBe('{"a":1}')
  })

  it('skips a message that fails to parse, validate or reduce, with the error, and counts it seen', () => {
    const { state, pipeline } = setup<number, number>({
      initialData: 0,
      schema: (value) => {
        if (typeof value !== 'number') throw new Error('not a number')
        return value
      },
      reduce: (sum, n) => {
        if (n < 0) throw new Error('negative')
        return sum + n
      },
    })
    pipeline.onMessage({ text: '{', event: 'message', id: '1-1' })
    expect(state.error?.code).toBe('ERR_PARSE')
    expect(state.lastEventId).toBe('1-1')
    pipeline.onMessage(message('1-2', 'x'))
    expect(state.error?.code).toBe('ERR_SCHEMA')
    pipeline.onMessage(message('1-3', -1))
    expect(state.error?.code).toBe('ERR_REDUCE')
    expect(state.lastEventId).toBe('1-3')
    pipeline.onMessage(message('1-4', 2))
    expect(state).toMatchObject({ data: 2, error: null, lastEventId: '1-4' })
  })

  it('hands reduce the id and event of the message', () => {
    const seen: unknown[] = []
    const { pipeline } = setup<null, unknown>({
      initialData: null,
      reduce: (_previous, _data, meta) => {
        seen.push(meta)
        return null
      },
    })
    pipeline.onMessage(message('1-1', 1, 'tick'))
    expect(seen).toEqual([{ id: '1-1', event: 'tick' }])
  })
})

describe('message pipeline: gaps and cursors', () => {
  it("resets the data to initialData on a gap by default, and forgets the id (gap: 'reset')", () => {
    const { state, pipeline } = setup<number[], number>(appendAll)
    pipeline.onMessage(message('1-5', 5))
    pipeline.onGap()
    expect(state).toMatchObject({ data: [], gap: true, lastEventId: null })
    // The replay after the gap starts below the old id: it is taken, not dropped.
    pipeline.onMessage(message('1-3', 3))
    expect(state.data).toEqual([3])
  })

  it("keeps the data on a gap with gap: 'keep'", () => {
    const { state, pipeline } = setup<number[], number>({ ...appendAll, gap: 'keep' })
    pipeline.onMessage(message('1-5', 5))
    pipeline.onGap()
    expect(state).toMatchObject({ data: [5], gap: true, lastEventId: null })
  })

  it('keeps data and id on a gap with nothing to replay', () => {
    const { state, pipeline } = setup<number[], number>(appendAll)
    pipeline.onMessage(message('1-5', 5))
    pipeline.onGap(false)
    expect(state).toMatchObject({ data: [5], gap: true, lastEventId: '1-5' })
  })

  it('takes a cursor only while it has no id of its own', () => {
    const { state, pipeline } = setup<number[], number>(appendAll)
    pipeline.onCursor('1-1')
    expect(state.lastEventId).toBe('1-1')
    pipeline.onCursor('1-9')
    expect(state.lastEventId).toBe('1-1')
  })
})
