import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import { LiveDataError } from '../src/errors'
import { createLiveClient } from '../src/index'
import type { LiveSource, LiveStatus, TransportName } from '../src/types'
import { fakeEnvironment, scriptedTransport } from './helpers'
import { startHttpServer, testScope, until, waitForSnapshot } from './servers'

// Failover between server URLs (`url: [a, b]`): a node that fails a whole fallback round is left
// for the next URL, where the client resumes from its cursors; a node that works is kept. Two
// real @livedata/server instances on loopback; the rule's timing with fake timers.

const { server, client } = testScope({ WebSocket: NodeWebSocket })

type Node = Awaited<ReturnType<typeof server>>

// Two in-memory servers make ids from their clocks; with the clock held still for a publish,
// each makes `<T>-0, <T>-1, …`, so the same messages in the same order get the same ids on both,
// as a Redis backplane's shared stream gives them. The servers read the clock they were created
// with, so the held one is installed for this file (it runs on real time otherwise).
const realNow = Date.now
const T = realNow()
let holding = false
beforeAll(() => {
  Date.now = () => (holding ? T : realNow())
})
afterAll(() => {
  Date.now = realNow
})

function publishOn(nodes: Node[], value: number): void {
  holding = true
  try {
    const ids = nodes.map((node) => node.live.publish('ticks', value))
    expect(new Set(ids).size).toBe(1)
  } finally {
    holding = false
  }
}

/** Every request and upgrade a node was asked for. */
function hits(node: Node): () => number {
  let upgrades = 0
  node.http.on('upgrade', () => upgrades++)
  return () => node.requests.length + upgrades
}

/** The statuses a source goes through, each change once. */
function statusesOf(source: LiveSource<unknown>): LiveStatus[] {
  const seen: LiveStatus[] = []
  source.subscribe(() => {
    const { status } = source.getSnapshot()
    if (seen.at(-1) !== status) seen.push(status)
  })
  return seen
}

const append = (list: number[], n: number): number[] => [...list, n]
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

async function deadUrl(): Promise<string> {
  const probe = await startHttpServer()
  const { port } = probe.http.address() as AddressInfo
  await probe.close()
  return `http://127.0.0.1:${port}/live`
}

describe.each(['websocket', 'sse', 'long-polling', 'polling'] as TransportName[])(
  'over %s',
  (transport) => {
    it('moves to the next URL when its node stops mid-stream, and resumes there: none lost, none twice, in order', async () => {
      const a = await server({ history: 10_000 })
      const b = await server({ history: 10_000 })
      const onB = hits(b)
      const ticks = client({ url: [a.url, b.url], transports: [transport] }).source<
        number[],
        number
      >('ticks', { initialData: [], reduce: append })
      const statuses = statusesOf(ticks)
      await waitForSnapshot(ticks, (x) => x.status === 'open')
      expect(onB()).toBe(0)
      for (const n of range(1, 100)) publishOn([a, b], n)
      await waitForSnapshot(ticks, (x) => x.data.length > 0)
      // Messages still flowing when a goes: these reach a and b alike, a stops, b goes on alone.
      for (const n of range(101, 150)) publishOn([a, b], n)
      const before = statuses.length
      await a.close()
      for (const n of range(151, 300)) publishOn([b], n)
      const end = await waitForSnapshot(ticks, (x) => x.data.length >= 300 && x.status === 'open')
      expect(end.data).toEqual(range(1, 300))
      expect(end.transport).toBe(transport)
      expect(end.gap).toBe(false)
      expect(onB()).toBeGreaterThan(0)
      // Honest on the way: reconnecting while moving, never closed.
      expect(statuses.slice(before)).toContain('reconnecting')
      expect(statuses).not.toContain('closed')
    })
  },
)

// Short polls hold no connection to drop: the transports that do.
describe.each(['websocket', 'sse', 'long-polling'] as TransportName[])('over %s', (transport) => {
  it('stays on a healthy first URL whose connections drop briefly', async () => {
    const a = await server()
    const b = await server()
    const onB = hits(b)
    const ticks = client({ url: [a.url, b.url], transports: [transport] }).source<number[], number>(
      'ticks',
      { initialData: [], reduce: append },
    )
    const statuses = statusesOf(ticks)
    await waitForSnapshot(ticks, (x) => x.status === 'open')
    for (const n of range(1, 3)) {
      const drops = statuses.filter((status) => status === 'reconnecting').length
      // A long poll just answered holds no socket until the next one arrives: wait for it.
      await until(() => a.live.stats().connections > 0)
      a.dropConnections()
      await waitForSnapshot(
        ticks,
        () => statuses.filter((status) => status === 'reconnecting').length > drops,
      )
      await waitForSnapshot(ticks, (x) => x.status === 'open')
      a.live.publish('ticks', n)
      await waitForSnapshot(ticks, (x) => x.data.includes(n))
    }
    expect(ticks.getSnapshot().data).toEqual([1, 2, 3])
    expect(onB()).toBe(0)
  })
})

it('opens on the second URL when nothing listens at the first', async () => {
  const b = await server()
  const onB = hits(b)
  const news = client({ url: [await deadUrl(), b.url] }).source<number>('news')
  const statuses = statusesOf(news)
  await waitForSnapshot(news, (x) => x.status === 'open')
  expect(news.getSnapshot().transport).toBe('websocket')
  expect(statuses).toEqual(['connecting', 'reconnecting', 'open'])
  expect(onB()).toBeGreaterThan(0)
  b.live.publish('news', 7)
  await waitForSnapshot(news, (x) => x.data === 7)
})

describe('the failover rule', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  const lost = () => new LiveDataError('ERR_CONNECTION_LOST', 'dropped')

  function setup(url = ['http://a.test/live', 'http://b.test/live?x=1']) {
    vi.useFakeTimers()
    const transport = scriptedTransport()
    const live = createLiveClient({
      url,
      transports: [transport.definition],
      reconnect: { minDelay: 100, maxDelay: 1000, jitter: 0 },
      environment: fakeEnvironment().environment,
    })
    const hosts = () => transport.connections.map(({ context }) => new URL(context.url).host)
    return { live, transport, hosts }
  }

  it('after moving, stays on the new URL through a drop, and wraps around when it fails a round', async () => {
    const { live, transport, hosts } = setup()
    const ticks = live.source('ticks')
    ticks.subscribe(() => {})
    await vi.advanceTimersByTimeAsync(0)
    transport.last().handlers.onClose(lost())
    await vi.advanceTimersByTimeAsync(0)
    expect(ticks.getSnapshot().status).toBe('reconnecting')
    // Backoff still applies between rounds, on the new URL too.
    expect(hosts()).toEqual(['a.test'])
    await vi.advanceTimersByTimeAsync(100)
    expect(hosts()).toEqual(['a.test', 'b.test'])
    expect(transport.last().context.url).toBe('http://b.test/live/ticks?x=1')
    transport.last().handlers.onOpen()
    transport.last().handlers.onClose(lost())
    await vi.advanceTimersByTimeAsync(1000)
    expect(hosts()).toEqual(['a.test', 'b.test', 'b.test'])
    transport.last().handlers.onClose(lost())
    await vi.advanceTimersByTimeAsync(1000)
    expect(hosts()).toEqual(['a.test', 'b.test', 'b.test', 'a.test'])
    live.close()
  })

  it('sources whose rounds fail on the same URL move to the next one together', async () => {
    const { live, transport, hosts } = setup()
    for (const channel of ['one', 'two']) live.source(channel).subscribe(() => {})
    await vi.advanceTimersByTimeAsync(0)
    for (const connection of [...transport.connections]) connection.handlers.onClose(lost())
    await vi.advanceTimersByTimeAsync(100)
    expect(hosts()).toEqual(['a.test', 'a.test', 'b.test', 'b.test'])
    live.close()
  })

  it('a round that fails late on a URL already left does not move the others back', async () => {
    const { live, transport, hosts } = setup(['http://a.test/', 'http://b.test/', 'http://c.test/'])
    for (const channel of ['one', 'two']) live.source(channel).subscribe(() => {})
    await vi.advanceTimersByTimeAsync(0)
    const [one, two] = transport.connections
    one?.handlers.onClose(lost())
    await vi.advanceTimersByTimeAsync(100)
    expect(hosts()).toEqual(['a.test', 'a.test', 'b.test'])
    // "one" fails on b too (the client moves on to c), then "two"'s round on a ends.
    transport.last().handlers.onClose(lost())
    two?.handlers.onClose(lost())
    await vi.advanceTimersByTimeAsync(100)
    expect(transport.last().context.key).toBe('two')
    expect(hosts().at(-1)).toBe('c.test')
    live.close()
  })
})
