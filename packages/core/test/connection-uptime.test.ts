import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MIN_UPTIME } from '../src/connection-machine'
import { LiveDataError } from '../src/errors'
import { createLiveClient } from '../src/index'
import { fakeEnvironment, scriptedTransport } from './helpers'

// Issue 9: the attempt count survives opens shorter than MIN_UPTIME, and the server's retry hint
// is forgotten once a connection that did not send one opens. Fake timers: backoff logic only.

const lost = () => new LiveDataError('ERR_CONNECTION_LOST', 'dropped')

function setup() {
  const transport = scriptedTransport()
  const client = createLiveClient({
    url: 'http://127.0.0.1:1/live',
    transports: [transport.definition],
    reconnect: { minDelay: 100, maxDelay: 60_000, factor: 2, jitter: 0 },
    heartbeatTimeout: Number.POSITIVE_INFINITY,
    environment: fakeEnvironment().environment,
  })
  const source = client.source<number>('ticks')
  source.subscribe(() => {})
  return { transport, source }
}

const settle = () => vi.advanceTimersByTimeAsync(0)

/** Ends the current connection (after `script`) and measures the wait until the next connect. */
async function dropAndMeasure(
  transport: ReturnType<typeof scriptedTransport>,
  script: (handlers: ReturnType<typeof transport.last>['handlers']) => void = () => {},
): Promise<number> {
  const { handlers } = transport.last()
  script(handlers)
  const count = transport.connections.length
  const droppedAt = Date.now()
  handlers.onClose(lost())
  while (transport.connections.length === count) await vi.advanceTimersByTimeAsync(1)
  return Date.now() - droppedAt
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('minimum uptime', () => {
  it('retries a server that accepts and drops at once with growing delays', async () => {
    const { transport, source } = setup()
    await settle()
    const delays: number[] = []
    for (let i = 0; i < 5; i++) {
      delays.push(await dropAndMeasure(transport, (handlers) => handlers.onOpen()))
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600])
    // The snapshot still reads attempt 0 while open, and the true count once it drops again.
    transport.last().handlers.onOpen()
    await settle()
    expect(source.getSnapshot()).toMatchObject({ status: 'open', attempt: 0 })
    transport.last().handlers.onClose(lost())
    await settle()
    expect(source.getSnapshot()).toMatchObject({ status: 'reconnecting', attempt: 6 })
  })

  it('returns to attempt 0 at once when the connection delivers a message, however short it lives', async () => {
    const { transport, source } = setup()
    await settle()
    for (let i = 0; i < 3; i++) await dropAndMeasure(transport, (handlers) => handlers.onOpen())
    // A plain SSE endpoint that sends one event and ends, an iframe document ended after 1 MiB:
    // each connection delivers, so the wait stays at the base instead of growing to maxDelay.
    const delays: number[] = []
    for (let i = 0; i < 5; i++) {
      delays.push(
        await dropAndMeasure(transport, (handlers) => {
          handlers.onOpen()
          handlers.onMessage({ text: `${i}`, event: 'message', id: null })
        }),
      )
    }
    expect(delays).toEqual([100, 100, 100, 100, 100])
    await settle()
    expect(source.getSnapshot().data).toBe(4)
  })

  it("waits exactly the server's retry hint between short streams that deliver", async () => {
    const { transport } = setup()
    await settle()
    const delays: number[] = []
    for (let i = 0; i < 4; i++) {
      delays.push(
        await dropAndMeasure(transport, (handlers) => {
          handlers.onRetry(3000)
          handlers.onOpen()
          handlers.onMessage({ text: '1', event: 'message', id: null })
        }),
      )
    }
    expect(delays).toEqual([3000, 3000, 3000, 3000])
  })

  it('returns to attempt 0 after the connection stayed open for MIN_UPTIME', async () => {
    const { transport } = setup()
    await settle()
    for (let i = 0; i < 3; i++) await dropAndMeasure(transport, (handlers) => handlers.onOpen())
    transport.last().handlers.onOpen()
    await vi.advanceTimersByTimeAsync(MIN_UPTIME - 1)
    // Not yet stable: the next wait still grows.
    expect(await dropAndMeasure(transport)).toBe(800)
    transport.last().handlers.onOpen()
    await vi.advanceTimersByTimeAsync(MIN_UPTIME)
    expect(await dropAndMeasure(transport)).toBe(100)
  })
})

describe('retry hint', () => {
  it('is forgotten when a connection that did not send one opens', async () => {
    const { transport } = setup()
    await settle()
    transport.last().handlers.onOpen()
    await vi.advanceTimersByTimeAsync(MIN_UPTIME)
    expect(await dropAndMeasure(transport, (handlers) => handlers.onRetry(3000))).toBe(3000)
    transport.last().handlers.onOpen()
    await vi.advanceTimersByTimeAsync(MIN_UPTIME)
    expect(await dropAndMeasure(transport)).toBe(100)
  })

  it('holds while the server cannot be reached, and is replaced by the next hint', async () => {
    const { transport } = setup()
    await settle()
    transport.last().handlers.onOpen()
    await vi.advanceTimersByTimeAsync(MIN_UPTIME)
    expect(await dropAndMeasure(transport, (handlers) => handlers.onRetry(3000))).toBe(3000)
    // The server is down: attempts that never open keep its word, with backoff on top.
    expect(await dropAndMeasure(transport)).toBe(6000)
    transport.last().handlers.onOpen()
    await vi.advanceTimersByTimeAsync(MIN_UPTIME)
    expect(await dropAndMeasure(transport, (handlers) => handlers.onRetry(700))).toBe(700)
  })

  it('counts a hint sent before the transport reported open', async () => {
    const { transport } = setup()
    await settle()
    transport.last().handlers.onRetry(2000)
    transport.last().handlers.onOpen()
    await vi.advanceTimersByTimeAsync(MIN_UPTIME)
    expect(await dropAndMeasure(transport)).toBe(2000)
  })
})
