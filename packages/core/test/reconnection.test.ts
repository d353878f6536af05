import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LiveDataError } from '../src/errors'
import { createLiveClient } from '../src/index'
import type { LiveClientOptions, LiveStatus } from '../src/types'
import { fakeEnvironment, scriptedTransport } from './helpers'

// Backoff, heartbeat and lifecycle timing, with fake timers and a transport the test drives.

const lost = () => new LiveDataError('ERR_CONNECTION_LOST', 'dropped')

function setup(options: LiveClientOptions = {}) {
  const transport = scriptedTransport()
  const env = fakeEnvironment()
  const client = createLiveClient({
    url: 'http://127.0.0.1:1/live',
    transports: [transport.definition],
    reconnect: { minDelay: 100, maxDelay: 1000, factor: 2, jitter: 0 },
    heartbeatTimeout: 1000,
    disconnectDelay: 50,
    environment: env.environment,
    ...options,
  })
  const source = client.source<number>('ticks')
  const statuses: LiveStatus[] = []
  const unsubscribe = source.subscribe(() => {
    const { status } = source.getSnapshot()
    if (statuses.at(-1) !== status) statuses.push(status)
  })
  return { client, source, transport, env, statuses, unsubscribe }
}

/** Runs pending microtasks (the async connect) without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0)

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('reconnection', () => {
  it('retries with exponential backoff from minDelay up to maxDelay', async () => {
    const { transport } = setup()
    await settle()
    const startedAt: number[] = []
    for (let i = 0; i < 6; i++) {
      startedAt.push(Date.now())
      const count = transport.connections.length
      transport.last().handlers.onClose(lost())
      while (transport.connections.length === count) await vi.advanceTimersByTimeAsync(1)
    }
    startedAt.push(Date.now())
    const delays = startedAt.slice(1).map((t, i) => t - (startedAt[i] as number))
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000])
  })

  it('goes connecting → open → reconnecting → open, and resets the attempt after opening', async () => {
    const { transport, source, statuses } = setup()
    await settle()
    transport.last().handlers.onOpen()
    await settle()
    transport.last().handlers.onClose(lost())
    await settle()
    expect(source.getSnapshot()).toMatchObject({ status: 'reconnecting', attempt: 1 })
    expect(source.getSnapshot().error?.code).toBe('ERR_CONNECTION_LOST')
    await vi.advanceTimersByTimeAsync(100)
    transport.last().handlers.onOpen()
    await settle()
    expect(source.getSnapshot()).toMatchObject({ status: 'open', attempt: 0, error: null })
    expect(statuses).toEqual(['connecting', 'open', 'reconnecting', 'open'])
  })

  it("honours the server's retry hint as the base delay", async () => {
    const { transport } = setup()
    await settle()
    transport.last().handlers.onOpen()
    transport.last().handlers.onRetry(5000)
    transport.last().handlers.onClose(lost())
    await vi.advanceTimersByTimeAsync(999)
    expect(transport.connections).toHaveLength(1)
    // The hint (5000) is capped by maxDelay (1000).
    await vi.advanceTimersByTimeAsync(1)
    expect(transport.connections).toHaveLength(2)
  })

  it('uses a retry hint shorter than minDelay', async () => {
    const { transport } = setup({ reconnect: { minDelay: 10_000, maxDelay: 60_000, jitter: 0 } })
    await settle()
    transport.last().handlers.onRetry(30)
    transport.last().handlers.onClose(lost())
    await vi.advanceTimersByTimeAsync(30)
    expect(transport.connections).toHaveLength(2)
  })

  it('gives up after maxAttempts with ERR_RECONNECT_EXHAUSTED', async () => {
    const { transport, source } = setup({
      reconnect: { minDelay: 10, maxDelay: 10, jitter: 0, maxAttempts: 2 },
    })
    await settle()
    for (let i = 0; i < 3; i++) {
      transport.last().handlers.onClose(lost())
      await vi.advanceTimersByTimeAsync(10)
    }
    expect(transport.connections).toHaveLength(3)
    expect(source.getSnapshot().status).toBe('closed')
    expect(source.getSnapshot().error?.code).toBe('ERR_RECONNECT_EXHAUSTED')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(transport.connections).toHaveLength(3)
  })

  it('does not retry an error that cannot heal, such as a 404', async () => {
    const { transport, source } = setup()
    await settle()
    transport
      .last()
      .handlers.onClose(
        new LiveDataError('ERR_HTTP_STATUS', 'answered 404', { status: 404, retryable: false }),
      )
    await vi.advanceTimersByTimeAsync(60_000)
    expect(transport.connections).toHaveLength(1)
    expect(source.getSnapshot()).toMatchObject({ status: 'closed' })
    expect(source.getSnapshot().error).toMatchObject({ code: 'ERR_HTTP_STATUS', status: 404 })
  })
})

describe('heartbeat timeout', () => {
  it('closes a silent connection after heartbeatTimeout and reconnects', async () => {
    const { transport, source } = setup()
    await settle()
    transport.last().handlers.onOpen()
    await vi.advanceTimersByTimeAsync(999)
    expect(transport.last().closed).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(transport.connections[0]?.closed).toBe(true)
    expect(source.getSnapshot().error?.code).toBe('ERR_HEARTBEAT_TIMEOUT')
    expect(source.getSnapshot().status).toBe('reconnecting')
    await vi.advanceTimersByTimeAsync(100)
    expect(transport.connections).toHaveLength(2)
  })

  it('keeps a connection that shows signs of life', async () => {
    const { transport, source } = setup()
    await settle()
    transport.last().handlers.onOpen()
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(400)
      transport.last().handlers.onActivity()
    }
    expect(transport.connections).toHaveLength(1)
    expect(source.getSnapshot().status).toBe('open')
  })

  it('detects silence within 1.5 × heartbeatTimeout of the last activity', async () => {
    const { transport } = setup()
    await settle()
    transport.last().handlers.onOpen()
    await vi.advanceTimersByTimeAsync(501)
    transport.last().handlers.onActivity()
    await vi.advanceTimersByTimeAsync(1499)
    expect(transport.connections[0]?.closed).toBe(true)
  })
})

describe('online and visibility', () => {
  it('waits while offline and connects at once when the browser comes back online', async () => {
    const { transport, source, env } = setup()
    await settle()
    transport.last().handlers.onOpen()
    env.set({ online: false })
    transport.last().handlers.onClose(lost())
    await settle()
    expect(source.getSnapshot().status).toBe('offline')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(transport.connections).toHaveLength(1)
    env.set({ online: true })
    await settle()
    expect(transport.connections).toHaveLength(2)
  })

  it('reconnects at once when the tab becomes visible', async () => {
    const { transport, env } = setup({
      reconnect: { minDelay: 30_000, maxDelay: 30_000, jitter: 0 },
    })
    await settle()
    env.set({ visible: false })
    transport.last().handlers.onClose(lost())
    await vi.advanceTimersByTimeAsync(1000)
    expect(transport.connections).toHaveLength(1)
    env.set({ visible: true })
    await settle()
    expect(transport.connections).toHaveLength(2)
  })

  it('leaves an open connection alone when the tab becomes visible', async () => {
    const { transport, env } = setup()
    await settle()
    transport.last().handlers.onOpen()
    env.set({ visible: false })
    env.set({ visible: true })
    await settle()
    expect(transport.connections).toHaveLength(1)
    expect(transport.last().closed).toBe(false)
  })
})

describe('subscription lifecycle', () => {
  it('lingers after the last unsubscribe, so a quick resubscribe reuses the connection', async () => {
    const { transport, source, unsubscribe } = setup({ heartbeatTimeout: 60_000 })
    await settle()
    transport.last().handlers.onOpen()
    unsubscribe()
    await vi.advanceTimersByTimeAsync(49)
    const again = source.subscribe(() => {})
    await vi.advanceTimersByTimeAsync(1000)
    expect(transport.connections).toHaveLength(1)
    expect(transport.last().closed).toBe(false)
    again()
  })

  it('disconnects disconnectDelay after the last unsubscribe', async () => {
    const { transport, source, unsubscribe } = setup()
    await settle()
    transport.last().handlers.onOpen()
    unsubscribe()
    await vi.advanceTimersByTimeAsync(50)
    expect(transport.last().closed).toBe(true)
    expect(source.getSnapshot().status).toBe('closed')
  })

  it('notifies once for a burst of messages in one tick', async () => {
    const { transport, source } = setup()
    await settle()
    transport.last().handlers.onOpen()
    await settle()
    const listener = vi.fn()
    source.subscribe(listener)
    for (let i = 1; i <= 100; i++) {
      transport.last().handlers.onMessage({ text: String(i), event: 'message', id: `1-${i}` })
    }
    await settle()
    expect(listener).toHaveBeenCalledTimes(1)
    expect(source.getSnapshot().data).toBe(100)
  })

  it('keeps the snapshot identity until something changes', async () => {
    const { transport, source } = setup()
    await settle()
    const before = source.getSnapshot()
    expect(source.getSnapshot()).toBe(before)
    transport.last().handlers.onOpen()
    const after = source.getSnapshot()
    expect(after).not.toBe(before)
    transport.last().handlers.onOpen()
    expect(source.getSnapshot()).toBe(after)
    expect(Object.isFrozen(after)).toBe(true)
  })

  it('a listener that throws does not stop the others', async () => {
    const { transport, source } = setup()
    await settle()
    const errors: unknown[] = []
    const original = globalThis.reportError
    globalThis.reportError = (error: unknown) => errors.push(error)
    try {
      source.subscribe(() => {
        throw new Error('boom')
      })
      const good = vi.fn()
      source.subscribe(good)
      transport.last().handlers.onOpen()
      await settle()
      expect(good).toHaveBeenCalled()
      expect(errors).toHaveLength(1)
    } finally {
      globalThis.reportError = original
    }
  })
})

describe('registered transports', () => {
  it('a plain source may name a registered transport, which channels never fall back to', async () => {
    const channelTransport = scriptedTransport('sse')
    const extra = scriptedTransport('socket.io')
    const client = createLiveClient({
      url: 'http://127.0.0.1:1/live',
      transports: [channelTransport.definition],
      register: [extra.definition],
      environment: fakeEnvironment().environment,
    })
    client.source('chat', { url: 'http://127.0.0.1:1', transport: 'socket.io' }).subscribe(() => {})
    client.source('prices').subscribe(() => {})
    await settle()
    expect(extra.connections.map((c) => c.context.key)).toEqual(['chat'])
    expect(channelTransport.connections.map((c) => c.context.key)).toEqual(['prices'])
    client.close()
  })

  it('a plain source may pass a transport object directly', async () => {
    const extra = scriptedTransport('socket.io')
    const client = createLiveClient({ environment: fakeEnvironment().environment })
    client
      .source('chat', { url: 'http://127.0.0.1:1', transport: extra.definition })
      .subscribe(() => {})
    await settle()
    expect(extra.connections).toHaveLength(1)
    client.close()
  })
})
