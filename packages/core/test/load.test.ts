import type { IncomingMessage, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import { LiveDataError } from '../src/errors'
import { createLiveClient, pollingTransport } from '../src/index'
import type {
  LiveSnapshot,
  LoadContext,
  LoadedState,
  SourceOptions,
  SourceOptionsWithInitialData,
} from '../src/types'
import { startHttpServer, testScope, until, waitForSnapshot } from './servers'

// `load`: the current state, then the stream from exactly its cursor, against a real
// @livedata/server on loopback (the state served by a real HTTP endpoint beside it).

const { server, client, defer } = testScope({ WebSocket: NodeWebSocket })
const TRANSPORTS = ['websocket', 'sse', 'long-polling', 'polling'] as const

/** An order-sensitive fold: a lost, repeated or reordered message changes `hash`. */
interface Tally {
  count: number
  hash: number
}
const EMPTY: Tally = { count: 0, hash: 0 }
const fold = (tally: Tally, n: number): Tally => ({
  count: tally.count + 1,
  hash: (Math.imul(tally.hash, 31) + n) | 0,
})
const tallyOptions = (
  load: SourceOptions<Tally, number>['load'],
): SourceOptionsWithInitialData<Tally, number> => ({
  initialData: EMPTY,
  reduce: fold,
  load,
})

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A REST endpoint on loopback: `answer(path)` is the JSON it returns for a GET of `path`. */
async function api(answer: (path: string) => Promise<unknown>) {
  const http = await startHttpServer((request: IncomingMessage, response: ServerResponse) => {
    answer(request.url ?? '/').then(
      (body) => {
        response.writeHead(200, { 'Content-Type': 'application/json' })
        response.end(JSON.stringify(body))
      },
      () => {
        response.writeHead(500)
        response.end()
      },
    )
  })
  defer(() => http.close())
  return {
    get: <T>(path: string, signal: AbortSignal): Promise<T> =>
      fetch(`${http.origin}${path}`, { signal }).then((r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`)
        return r.json() as Promise<T>
      }),
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('load: the current state, then the stream', () => {
  it('1,000 runs, publishes every 1 ms while load is in flight (50 ms): the data equals the server state every time', async () => {
    const s = await server({ history: 1000 })
    // The app's state per channel, changed in the same synchronous step as each publish.
    const states = new Map<string, Tally>()
    const lastIds = new Map<string, string>()
    const publishing = new Set<string>()
    let n = 0
    const publish = (channel: string): void => {
      n++
      states.set(channel, fold(states.get(channel) ?? EMPTY, n))
      lastIds.set(channel, s.live.publish(channel, n))
    }
    const publisher = setInterval(() => {
      for (const channel of publishing) publish(channel)
    }, 1)
    defer(() => clearInterval(publisher))
    // The REST answer: state and cursor read in one step 25 ms into the request, answered 25 ms
    // later, so messages are published both before and after the state it carries. One is
    // published right after the state is read, so that every run has one in that window even
    // when a loaded machine runs the 1 ms timer late.
    const inFlight: number[] = []
    const rest = await api(async (path) => {
      const channel = path.slice(1)
      await delay(25)
      const state = states.get(channel) ?? EMPTY
      const answer = { data: state, cursor: s.live.snapshot(channel).cursor }
      publish(channel)
      await delay(25)
      inFlight.push((states.get(channel)?.count ?? 0) - state.count)
      return answer
    })

    const runs = 1000
    const concurrency = 25
    const failures: string[] = []
    const errors: Error[] = []
    const gaps = new Set<string>()
    const run = async (i: number): Promise<void> => {
      const channel = `race-${i}`
      states.set(channel, EMPTY)
      publishing.add(channel)
      const transport = TRANSPORTS[i % TRANSPORTS.length] as (typeof TRANSPORTS)[number]
      const c = createLiveClient({
        url: s.url,
        transports: [transport],
        WebSocket: NodeWebSocket,
        disconnectDelay: 0,
        reconnect: { minDelay: 10, maxDelay: 50 },
        register: [pollingTransport({ interval: 5 })],
      })
      try {
        const source = c.source<Tally, number>(
          channel,
          tallyOptions(({ signal }) => rest.get(`/${channel}`, signal)),
        )
        source.subscribe(() => {
          const { error, gap } = source.getSnapshot()
          if (gap) gaps.add(`${channel} ${transport}`)
          if (error !== null && !errors.includes(error)) errors.push(error)
        })
        // Loaded, and the stream delivered on top of it: then the publishing stops.
        await waitForSnapshot(source, (x) => x.lastEventId !== null && x.status === 'open')
        const loaded = source.getSnapshot().data.count
        await waitForSnapshot(source, (x) => x.data.count >= loaded + 3)
        publishing.delete(channel)
        const last = lastIds.get(channel)
        const final = await waitForSnapshot(source, (x) => x.lastEventId === last)
        const expected = states.get(channel)
        if (final.data.count !== expected?.count || final.data.hash !== expected.hash) {
          failures.push(
            `${channel} over ${transport}: ${JSON.stringify(final.data)} != ${JSON.stringify(expected)}`,
          )
        }
        if (final.error !== null) failures.push(`${channel}: ${final.error.message}`)
      } finally {
        publishing.delete(channel)
        c.close()
      }
    }
    const started = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < runs) await run(next++)
      }),
    )
    const seconds = (performance.now() - started) / 1000
    console.log(
      `load race: ${runs} runs (${concurrency} at a time, ${TRANSPORTS.join(', ')} in turn), ${failures.length} failures, ${seconds.toFixed(1)} s; published while a load was in flight: ${Math.min(...inFlight)} to ${Math.max(...inFlight)} messages after the state was read`,
    )
    expect(failures).toEqual([])
    // The race was won by the cursor alone: one load per run, no error, no gap (a gap loads again).
    expect(errors.map((error) => error.message)).toEqual([])
    expect([...gaps]).toEqual([])
    expect(inFlight).toHaveLength(runs)
    // Every run had messages published after its state was read and before the answer came.
    expect(Math.min(...inFlight)).toBeGreaterThan(0)
  }, 180_000)

  it.each(TRANSPORTS)(
    'over %s: sets data to the state loaded and streams from its cursor',
    async (transport) => {
      const s = await server()
      let total = EMPTY
      const publish = (n: number) => {
        total = fold(total, n)
        return s.live.publish('tally', n)
      }
      publish(1)
      publish(2)
      const loads: LoadContext[] = []
      const tally = client({ url: s.url, transports: [transport] }).source<Tally, number>(
        'tally',
        tallyOptions(async (context) => {
          loads.push(context)
          const answer = { data: total, cursor: s.live.snapshot('tally').cursor }
          publish(3) // after the state was read: must come by the stream, once
          return answer
        }),
      )
      tally.subscribe(() => {})
      const snapshot = await waitForSnapshot(tally, (x) => x.data.count === 3)
      expect(snapshot.data).toEqual(total)
      publish(4)
      expect((await waitForSnapshot(tally, (x) => x.data.count === 4)).data).toEqual(total)
      expect(loads).toHaveLength(1)
    },
  )

  it("loads a latest-value channel's live.snapshot and streams on from its id", async () => {
    const s = await server({ channels: { prices: { keep: 'last' } } })
    s.live.publish('prices', { AAPL: 190 })
    const prices = client({ url: s.url }).source<{ AAPL: number }>('prices', {
      load: async () => s.live.snapshot('prices') as LoadedState<{ AAPL: number }>,
      reduce: (_previous, next) => next,
    })
    prices.subscribe(() => {})
    expect((await waitForSnapshot(prices, (x) => x.data !== undefined)).data).toEqual({ AAPL: 190 })
    s.live.publish('prices', { AAPL: 191 })
    await waitForSnapshot(prices, (x) => x.data?.AAPL === 191)
  })

  it('aborts the load when the source stops, and never connects', async () => {
    const s = await server()
    let signal: AbortSignal | undefined
    const source = client({ url: s.url }).source('slow', {
      load: (context) => {
        signal = context.signal
        return new Promise<never>(() => {})
      },
    })
    const stop = source.subscribe(() => {})
    await until(() => signal !== undefined)
    expect(signal?.aborted).toBe(false)
    stop()
    await until(() => signal?.aborted === true)
    expect(source.getSnapshot().status).toBe('closed')
    expect(s.live.stats().connections).toBe(0)
  })

  it('a failing load is ERR_LOAD while reconnecting, retried until it works', async () => {
    const s = await server()
    s.live.publish('flaky', 7)
    let calls = 0
    const seen: Array<LiveSnapshot<Tally>> = []
    const source = client({ url: s.url }).source<Tally, number>(
      'flaky',
      tallyOptions(async () => {
        calls++
        if (calls < 3) throw new Error('503 from the API')
        return { data: { count: 1, hash: 7 }, cursor: s.live.snapshot('flaky').cursor }
      }),
    )
    source.subscribe(() => seen.push(source.getSnapshot()))
    await waitForSnapshot(source, (x) => x.status === 'open')
    const failed = seen.filter((x) => x.error !== null)
    expect(failed.map((x) => [x.status, x.attempt, x.error?.code])).toEqual([
      ['reconnecting', 1, 'ERR_LOAD'],
      ['reconnecting', 2, 'ERR_LOAD'],
    ])
    expect(failed[0]?.error?.message).toBe('Loading "flaky" failed: 503 from the API')
    expect(source.getSnapshot()).toMatchObject({ error: null, attempt: 0, data: { count: 1 } })
    expect(calls).toBe(3)
  })

  it('waits the backoff between tries, growing (fake timers)', async () => {
    vi.useFakeTimers()
    const calls: number[] = []
    const c = createLiveClient({
      url: 'http://127.0.0.1:9/live',
      reconnect: { minDelay: 100, factor: 2, jitter: 0 },
      disconnectDelay: 0,
    })
    defer(() => c.close())
    const source = c.source('down', {
      load: async () => {
        calls.push(Date.now())
        throw new Error('down')
      },
    })
    source.subscribe(() => {})
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(99)
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(199)
    expect(calls).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toHaveLength(3)
    expect(source.getSnapshot()).toMatchObject({ status: 'reconnecting', attempt: 3 })
  })

  it('an answer without a cursor is ERR_LOAD; a LiveDataError that is not retryable closes', async () => {
    const s = await server()
    const c = client({ url: s.url })
    const bad = c.source('bad', {
      load: async () => ({ data: 1 }) as unknown as LoadedState<number>,
    })
    bad.subscribe(() => {})
    const snapshot = await waitForSnapshot(bad, (x) => x.error !== null)
    expect(snapshot.error?.code).toBe('ERR_LOAD')
    expect(snapshot.error?.message).toContain('{ data, cursor }')
    const final = c.source('final', {
      load: async () => {
        throw new LiveDataError('ERR_HTTP_STATUS', 'HTTP 404', { status: 404, retryable: false })
      },
    })
    final.subscribe(() => {})
    const closed = await waitForSnapshot(final, (x) => x.status === 'closed')
    expect(closed.error).toMatchObject({ code: 'ERR_LOAD', retryable: false })
    expect(s.live.stats().connections).toBe(0)
  })

  it('resumes from its id without loading again after a stop and a new subscribe', async () => {
    const s = await server()
    let calls = 0
    const source = client({ url: s.url }).source<Tally, number>(
      'again',
      tallyOptions(async () => {
        calls++
        return { data: EMPTY, cursor: s.live.snapshot('again').cursor }
      }),
    )
    const stop = source.subscribe(() => {})
    await waitForSnapshot(source, (x) => x.status === 'open')
    s.live.publish('again', 1)
    await waitForSnapshot(source, (x) => x.data.count === 1)
    stop()
    await until(() => source.getSnapshot().status === 'closed')
    s.live.publish('again', 2)
    source.subscribe(() => {})
    const snapshot = await waitForSnapshot(source, (x) => x.data.count === 2)
    expect(snapshot.data).toEqual(fold(fold(EMPTY, 1), 2))
    expect(calls).toBe(1)
  })

  it('a gap loads the state again rather than folding what history still holds', async () => {
    const s = await server({ history: 3 })
    let total = EMPTY
    const publish = (n: number) => {
      total = fold(total, n)
      s.live.publish('gappy', n)
    }
    let calls = 0
    const source = client({ url: s.url }).source<Tally, number>(
      'gappy',
      tallyOptions(async () => {
        calls++
        return { data: total, cursor: s.live.snapshot('gappy').cursor }
      }),
    )
    const stop = source.subscribe(() => {})
    await waitForSnapshot(source, (x) => x.status === 'open')
    publish(1)
    await waitForSnapshot(source, (x) => x.data.count === 1)
    stop()
    await until(() => source.getSnapshot().status === 'closed')
    for (const n of [2, 3, 4, 5, 6, 7]) publish(n)
    source.subscribe(() => {})
    const snapshot = await waitForSnapshot(source, (x) => x.status === 'open' && x.data.count === 7)
    expect(snapshot.data).toEqual(total)
    expect(snapshot.gap).toBe(false)
    expect(calls).toBe(2)
  })

  it('a load whose cursor is already out of history is ERR_LOAD, tried with backoff up to maxAttempts', async () => {
    const s = await server({ history: 2 })
    const first = s.live.publish('old', 1)
    for (const n of [2, 3, 4, 5]) s.live.publish('old', n)
    let loads = 0
    const source = client({
      url: s.url,
      reconnect: { minDelay: 10, maxDelay: 50, maxAttempts: 2 },
    }).source<number>('old', {
      // A cache that answers a state from long ago: the stream can never go on from it.
      load: async () => {
        loads++
        return { data: 1, cursor: first }
      },
    })
    const seen: Array<LiveSnapshot<number | undefined>> = []
    source.subscribe(() => seen.push(source.getSnapshot()))
    const closed = await waitForSnapshot(source, (x) => x.status === 'closed')
    expect(closed.error).toMatchObject({
      code: 'ERR_LOAD',
      message: 'Loading "old" failed: its cursor was out of history',
    })
    expect(loads).toBe(3)
    expect(seen.filter((x) => x.status === 'reconnecting').map((x) => x.attempt)).toEqual([1, 2])
  })

  it('a quiet channel whose node goes loads again from the next one, never counted as a stale cursor', async () => {
    // Four nodes that share nothing (no backplane), each with one message on `quiet`, in order:
    // a cursor of one is older than anything the next holds, so resuming there is a gap. The
    // cursor the source loaded had been streamed from, so the gap is the node's loss, not a
    // cursor already out of history: each move loads afresh, however many there are.
    const nodes: Array<Awaited<ReturnType<typeof server>>> = []
    for (let i = 0; i < 4; i++) {
      const node = await server({ channels: { quiet: { keep: 'last' } } })
      const after = Date.now()
      await until(() => Date.now() > after)
      node.live.publish('quiet', i)
      nodes.push(node)
    }
    let on = 0
    const loads: number[] = []
    const source = client({
      url: nodes.map((node) => node.url),
      transports: ['websocket'],
      reconnect: { minDelay: 10, maxDelay: 50, maxAttempts: 2 },
    }).source<number>('quiet', {
      load: async () => {
        loads.push(on)
        return nodes[on]?.live.snapshot('quiet') as LoadedState<number>
      },
      reduce: (_previous, next) => next,
    })
    const statuses: string[] = []
    source.subscribe(() => statuses.push(source.getSnapshot().status))
    await waitForSnapshot(source, (x) => x.status === 'open')
    for (on = 1; on < nodes.length; on++) {
      await nodes[on - 1]?.close()
      const cursor = nodes[on]?.live.snapshot('quiet').cursor
      const moved = await waitForSnapshot(
        source,
        (x) => x.status === 'closed' || (x.status === 'open' && x.lastEventId === cursor),
      )
      expect(moved, `the move to node ${on}, loads ${loads}`).toMatchObject({ status: 'open' })
    }
    expect(loads).toEqual([0, 1, 2, 3])
    expect(source.getSnapshot()).toMatchObject({ data: 3, error: null, attempt: 0, gap: false })
    expect(statuses).not.toContain('closed')
  })

  it('client.reconnect() during a load aborts it and loads again', async () => {
    const s = await server()
    const signals: AbortSignal[] = []
    const c = client({ url: s.url })
    const source = c.source('re', {
      load: ({ signal }) => {
        signals.push(signal)
        return signals.length === 1
          ? new Promise<never>(() => {})
          : Promise.resolve({ data: 1, cursor: '0-0' })
      },
    })
    source.subscribe(() => {})
    await until(() => signals.length === 1)
    c.reconnect()
    await waitForSnapshot(source, (x) => x.status === 'open' && x.data === 1)
    expect(signals.map((signal) => signal.aborted)).toEqual([true, false])
  })

  it('refuses a load that is not a function, or on a plain url', () => {
    const c = client({ url: 'http://127.0.0.1:9/live' })
    expect(() => c.source('x', { load: 'no' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }),
    )
    expect(() =>
      c.source('plain', {
        url: 'http://127.0.0.1:9/stream',
        load: async () => ({ cursor: '1-0' }),
      }),
    ).toThrow(/load must be a function, on a channel \(not a plain url\)/)
  })
})
