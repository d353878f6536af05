import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import { LiveDataError } from '../src/errors'
import type { InspectEvent } from '../src/inspector'
import type { LiveClientOptions } from '../src/types'
import { gatedWebSocket } from './gated-websocket'
import { fakeEnvironment, scriptedTransport } from './helpers'
import { testScope, tick, until, waitForSnapshot } from './servers'

type Scripted = ReturnType<typeof scriptedTransport>

// client.inspect(): every step a client takes, as typed events, with a real client against a
// real server on loopback. The panel over it is @livedata/devtools.

const { server, client } = testScope({ WebSocket: NodeWebSocket })

/** Collects what `client.inspect()` reports, as `type` plus the fields that say what happened. */
function recorder() {
  const events: InspectEvent[] = []
  const listener = (event: InspectEvent) => void events.push(event)
  const lines = () =>
    events.map((e): string => {
      switch (e.type) {
        case 'state':
          return `state ${e.status} ${e.transport}`
        case 'try':
          return `try ${e.transport}`
        case 'fallback':
          return `fallback ${e.from} ${e.to}`
        case 'probe':
          return `probe ${e.result} ${e.transport}`
        case 'send':
          return `send ${e.state}`
        case 'gap':
          return `gap ${e.replay}`
        case 'cursor':
          return `cursor ${e.lastEventId}`
        case 'backoff':
          return `backoff ${e.attempt}`
        default:
          return `tab ${e.role}`
      }
    })
  return { events, listener, lines }
}

/** Whether `expected` occurs in `lines` in this order (other lines may come between). */
function inOrder(lines: string[], expected: string[]): boolean {
  let at = 0
  for (const line of lines) if (line === expected[at]) at++
  return at === expected.length
}

describe('client.inspect()', () => {
  it('reports the fallback from a blocked WebSocket to SSE, then the probe back up, in order', async () => {
    const s = await server()
    const { gate, WebSocket } = gatedWebSocket()
    const c = client({
      url: s.url,
      transports: ['websocket', 'sse'],
      WebSocket,
      upgrade: { minDelay: 20, maxDelay: 20 },
    })
    const r = recorder()
    c.inspect(r.listener)
    const prices = c.source('prices')
    prices.subscribe(() => {})
    await waitForSnapshot(prices, (x) => x.status === 'open' && x.transport === 'sse')
    gate.blocked = false
    await until(() => r.lines().includes('probe upgraded websocket'))
    await waitForSnapshot(prices, (x) => x.transport === 'websocket')
    expect(
      inOrder(r.lines(), [
        'tab solo',
        'try websocket',
        'fallback websocket sse',
        'try sse',
        'state open sse',
        'probe started websocket',
        'state open websocket',
        'probe upgraded websocket',
      ]),
    ).toBe(true)
    const fallback = r.events.find((e) => e.type === 'fallback')
    expect(fallback).toMatchObject({ channel: 'prices', error: { code: expect.any(String) } })
    for (const event of r.events) expect(event.time).toBeGreaterThan(0)
    // Each event's time is when it happened: never earlier than the one before.
    const times = r.events.map((e) => e.time)
    expect(times).toEqual([...times].sort((a, b) => a - b))
  })

  it('reports each backoff timer with its attempt and delay', async () => {
    const s = await server()
    const url = s.url
    await s.close()
    const c = client({ url, transports: ['sse'], reconnect: { minDelay: 10, maxDelay: 40 } })
    const r = recorder()
    c.inspect(r.listener)
    c.source('prices').subscribe(() => {})
    await until(() => r.events.filter((e) => e.type === 'backoff').length >= 3)
    const backoffs = r.events.filter((e) => e.type === 'backoff')
    expect(backoffs.map((e) => e.attempt)).toEqual([1, 2, 3])
    for (const e of backoffs) {
      expect(e.delay).toBeGreaterThanOrEqual(0)
      expect(e.delay).toBeLessThanOrEqual(40)
    }
    // Every wait is followed by the next try.
    expect(inOrder(r.lines(), ['try sse', 'backoff 1', 'try sse', 'backoff 2', 'try sse'])).toBe(
      true,
    )
  })

  it('reports each cursor move with the id of the message that moved it', async () => {
    const s = await server()
    const c = client({ url: s.url, transports: ['websocket'] })
    const r = recorder()
    c.inspect(r.listener)
    const prices = c.source('prices')
    prices.subscribe(() => {})
    await waitForSnapshot(prices, (x) => x.status === 'open')
    const ids = [s.live.publish('prices', 1), s.live.publish('prices', 2)]
    await until(() => r.lines().includes(`cursor ${ids[1]}`))
    expect(
      inOrder(
        r.lines(),
        ids.map((id) => `cursor ${id}`),
      ),
    ).toBe(true)
  })

  it('reports a gap when history no longer reaches back to the cursor', async () => {
    const s = await server({ history: 5 })
    const c = client({ url: s.url, transports: ['sse'] })
    const r = recorder()
    c.inspect(r.listener)
    const chat = c.source<number[], number>('chat', {
      initialData: [],
      reduce: (list, n) => [...list, n],
    })
    const stop = chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    s.live.publish('chat', 1)
    await waitForSnapshot(chat, (x) => x.data.length === 1)
    stop()
    await until(() => chat.getSnapshot().status === 'closed')
    for (let n = 2; n <= 20; n++) s.live.publish('chat', n)
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.gap && x.data.at(-1) === 20)
    expect(r.events).toContainEqual(
      expect.objectContaining({ type: 'gap', channel: 'chat', replay: true }),
    )
  })

  it('follows a send by its key: queued, sent, acked', async () => {
    const s = await server()
    const c = client({ url: s.url, transports: ['websocket'] })
    const r = recorder()
    c.inspect(r.listener)
    const chat = c.source('chat')
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    await chat.send({ text: 'hi' })
    await until(() => r.lines().includes('send acked'))
    const sends = r.events.filter((e) => e.type === 'send')
    expect(sends.map((e) => e.state)).toEqual(['queued', 'sent', 'acked'])
    expect(new Set(sends.map((e) => e.id)).size).toBe(1)
    expect(sends[0]?.id).toMatch(/\S{8,}/)
  })

  it('follows a refused send to failed, with the error the app gets', async () => {
    const s = await server({ authorize: ({ action }) => action !== 'send' })
    const c = client({ url: s.url, transports: ['sse'] })
    const r = recorder()
    c.inspect(r.listener)
    const chat = c.source('chat')
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    const refused = await chat.send('x').catch((error: unknown) => error)
    await until(() => r.lines().includes('send failed'))
    const sends = r.events.filter((e) => e.type === 'send')
    expect(sends.map((e) => e.state)).toEqual(['queued', 'sent', 'failed'])
    expect(sends[2]?.error).toBe(refused)
    expect(sends[2]?.error).toMatchObject({ code: 'ERR_SEND_FAILED', status: 403 })
  })

  it('starts with where each source stands, then goes on live', async () => {
    const s = await server()
    const c = client({ url: s.url, transports: ['websocket'] })
    const prices = c.source('prices')
    prices.subscribe(() => {})
    await waitForSnapshot(prices, (x) => x.status === 'open')
    const id = s.live.publish('prices', 1)
    await waitForSnapshot(prices, (x) => x.lastEventId === id)
    const r = recorder()
    c.inspect(r.listener)
    // Delivered in a microtask, never inside the caller's own step.
    expect(r.events).toHaveLength(0)
    await until(() => r.events.length >= 3)
    expect(r.lines()).toEqual(['tab solo', 'state open websocket', `cursor ${id}`])
    expect(r.events[1]).toMatchObject({ channel: 'prices', attempt: 0, error: null })
    const next = s.live.publish('prices', 2)
    await until(() => r.lines().includes(`cursor ${next}`))
  })

  describe('listeners', () => {
    const original = (globalThis as { reportError?: unknown }).reportError
    afterEach(() => {
      ;(globalThis as { reportError?: unknown }).reportError = original
    })

    it('a listener that throws is reported; the others and the client go on', async () => {
      const reported: unknown[] = []
      ;(globalThis as { reportError?: unknown }).reportError = (error: unknown) =>
        reported.push(error)
      const s = await server()
      const c = client({ url: s.url, transports: ['websocket'] })
      const boom = new Error('listener bug')
      c.inspect(() => {
        throw boom
      })
      const r = recorder()
      c.inspect(r.listener)
      const prices = c.source('prices')
      prices.subscribe(() => {})
      await waitForSnapshot(prices, (x) => x.status === 'open')
      s.live.publish('prices', 1)
      await waitForSnapshot(prices, (x) => x.data === 1)
      expect(reported.length).toBeGreaterThan(0)
      expect(reported.every((error) => error === boom)).toBe(true)
      expect(r.lines()).toContain('state open websocket')
    })

    it('the function inspect() returns stops the events', async () => {
      const s = await server()
      const c = client({ url: s.url, transports: ['websocket'] })
      const r = recorder()
      const stop = c.inspect(r.listener)
      const prices = c.source('prices')
      prices.subscribe(() => {})
      await waitForSnapshot(prices, (x) => x.status === 'open')
      stop()
      const count = r.events.length
      const id = s.live.publish('prices', 1)
      await waitForSnapshot(prices, (x) => x.lastEventId === id)
      expect(r.events).toHaveLength(count)
    })
  })
})

describe('client.inspect() over scripted transports (the reporting logic)', () => {
  const scripted = (options: Partial<LiveClientOptions> = {}) => {
    const transports = [scriptedTransport('a'), scriptedTransport('b'), scriptedTransport('c')]
    const env = fakeEnvironment()
    const c = client({
      url: 'http://127.0.0.1:9/live',
      transports: transports.map((t) => t.definition),
      environment: env.environment,
      upgrade: false,
      ...options,
    })
    const r = recorder()
    c.inspect(r.listener)
    return { c, r, env, transports: transports as [Scripted, Scripted, Scripted] }
  }

  it('a fallback names the error of the transport that failed, not the worst of the round', async () => {
    const { c, r, transports } = scripted()
    const [a, b, c3] = transports
    c.source('prices').subscribe(() => {})
    await until(() => a.connections.length === 1)
    a.last().handlers.onClose(
      new LiveDataError('ERR_HTTP_STATUS', 'a: 503', { status: 503, retryable: true }),
    )
    await until(() => b.connections.length === 1)
    b.last().handlers.onClose(new LiveDataError('ERR_NETWORK', 'b: network'))
    await until(() => c3.connections.length === 1)
    await until(() => r.lines().filter((line) => line.startsWith('fallback')).length === 2)
    const fallbacks = r.events.filter((e) => e.type === 'fallback')
    expect(fallbacks.map((e) => `${e.from}->${e.to}: ${e.error?.message}`)).toEqual([
      'a->b: a: 503',
      'b->c: b: network',
    ])
  })

  it('the page coming back mid-round tries the same transport again: no fallback reported', async () => {
    let calls = 0
    const { c, r, env, transports } = scripted({
      // Round 1 (a, b, c) and round 2's a get their headers at once; then they hang, so round
      // 2's b is still being opened when the page comes back.
      headers: () => (calls++ < 4 ? {} : new Promise<Record<string, string>>(() => {})),
    })
    const [a, b, c3] = transports
    c.source('prices').subscribe(() => {})
    const fail = async (t: Scripted, count: number) => {
      await until(() => t.connections.length === count)
      t.last().handlers.onClose(new LiveDataError('ERR_NETWORK', 'down'))
    }
    await fail(a, 1)
    await fail(b, 1)
    await fail(c3, 1)
    // After the backoff, round 2.
    await fail(a, 2)
    await until(() => r.lines().filter((line) => line === 'try b').length === 2)
    expect(b.connections).toHaveLength(1)
    // A page hidden then shown hurries a transport still waiting for its request: b again.
    env.set({ visible: false })
    env.set({ visible: true })
    await until(() => r.lines().filter((line) => line === 'try b').length === 3)
    expect(r.lines().filter((line) => line.startsWith('fallback'))).toEqual([
      'fallback a b',
      'fallback b c',
      'fallback a b',
    ])
  })

  it('a listener that closes the client leaves no transport open', async () => {
    const { c, transports } = scripted()
    const [a] = transports
    c.inspect((event) => {
      if (event.type === 'try') c.close()
    })
    const prices = c.source('prices')
    prices.subscribe(() => {})
    await waitForSnapshot(prices, (x) => x.status === 'closed')
    await tick()
    expect(a.connections.every((connection) => connection.closed)).toBe(true)
  })

  it('hears of a cursor move, not of every message', async () => {
    const { c, r, transports } = scripted()
    const [a] = transports
    const prices = c.source('prices')
    prices.subscribe(() => {})
    await until(() => a.connections.length === 1)
    const { handlers } = a.last()
    handlers.onOpen()
    for (const id of ['1-0', '1-0', '2-0', '2-0', '2-0']) {
      handlers.onMessage({ value: 1, event: 'message', id })
    }
    await waitForSnapshot(prices, (x) => x.lastEventId === '2-0')
    await until(() => r.lines().includes('cursor 2-0'))
    expect(r.lines().filter((line) => line.startsWith('cursor'))).toEqual([
      'cursor 1-0',
      'cursor 2-0',
    ])
  })
})

describe('the production build', () => {
  // Served under the `production` export condition (Vite's and webpack's production builds).
  const dist = fileURLToPath(new URL('../dist/production/', import.meta.url))
  const text = (dir: string) =>
    readdirSync(dir)
      .filter((name) => name.endsWith('.js'))
      .map((name) => readFileSync(dir + name, 'utf8'))
      .join('\n')

  it('has no report sites and no options warning; the default build has both', () => {
    const production = text(dist)
    const development = text(fileURLToPath(new URL('../dist/', import.meta.url)))
    for (const site of [
      '"queued"',
      'type: "fallback"',
      'type: "cursor"',
      'type: "gap"',
      'was called again',
    ]) {
      expect(development).toContain(site)
      expect(production).not.toContain(site)
    }
  })

  it('inspect() there throws ERR_UNSUPPORTED, saying why', async () => {
    const { createLiveClient } = (await import(`${dist}index.js`)) as typeof import('../src/index')
    const c = createLiveClient({ url: 'http://127.0.0.1:9/live' })
    expect(() => c.inspect(() => {})).toThrow(
      expect.objectContaining({
        code: 'ERR_UNSUPPORTED',
        message: expect.stringContaining('production'),
      }),
    )
    c.close()
  })
})
