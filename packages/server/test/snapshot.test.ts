import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import type { Backplane } from '../src/backplane'
import {
  type ChannelSnapshot,
  createLiveServer,
  type LiveServerError,
  type LiveServerOptions,
} from '../src/index'
import { idsOf, openStream, testScope } from './helpers'
import { createSharedLog } from './shared-log'

// live.snapshot(channel): the state and the id it reflects, for an app's REST answer.

const { server, defer } = testScope()

/** A server node on loopback whose channels are replicas of `backplane`, closed after the test. */
async function node(backplane: Backplane, options: LiveServerOptions = {}) {
  const live = createLiveServer({ onError: () => {}, ...options, backplane })
  const http = createServer()
  live.attach(http)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}${live.path}`
  defer(async () => {
    await live.close()
    http.closeAllConnections()
    await new Promise<void>((resolve) => http.close(() => resolve()))
  })
  return { live, url }
}

/** A server node (not attached) whose channels are replicas of `backplane`, closed after the test. */
function unattached(backplane: Backplane, options: LiveServerOptions = {}) {
  const live = createLiveServer({ onError: () => {}, ...options, backplane })
  defer(() => live.close())
  return live
}

/** Timers that keep the process alive now (unref'd ones are not listed). */
const refTimers = (): number =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length

/** A message as a server hands it to its backplane. */
const prepared = (channel: string, json: string) => ({ channel, event: undefined, json })

/** The messages a poll from `lastEventId` answers at once. */
async function pollFrom(url: string, channel: string, lastEventId: string) {
  const response = await fetch(`${url}/${channel}?transport=polling&lastEventId=${lastEventId}`)
  expect(response.status).toBe(200)
  return ((await response.json()) as { messages: Array<{ id: string; data: unknown }> }).messages
}

describe('live.snapshot', () => {
  it('on a latest-value channel: the newest message data and id', () => {
    const live = createLiveServer({ channels: { prices: { keep: 'last' } } })
    expect(live.snapshot('prices')).toEqual({ cursor: '0-0' })
    live.publish('prices', { AAPL: 190 })
    const id = live.publish('prices', { AAPL: 191.2 })
    expect(live.snapshot('prices')).toEqual({ data: { AAPL: 191.2 }, cursor: id })
  })

  it('on another channel: its newest id, no data', () => {
    const live = createLiveServer()
    expect(live.snapshot('orders')).toEqual({ cursor: '0-0' })
    live.publish('orders', 1)
    const id = live.publish('orders', 2)
    expect(live.snapshot('orders')).toEqual({ cursor: id })
  })

  it('resuming from its cursor replays exactly what was published after it', async () => {
    const s = await server({ channels: { prices: { keep: 'last' } } })
    s.live.publish('prices', 1)
    const { cursor } = s.live.snapshot('prices')
    const after = s.live.publish('prices', 2)
    const body = (await (
      await fetch(`${s.url}/prices?transport=polling&lastEventId=${cursor}`)
    ).json()) as { messages: Array<{ id: string; data: unknown }> }
    expect(body.messages).toEqual([{ id: after, data: 2 }])
  })

  it('throws typed errors for a bad name and a closed server', async () => {
    const live = createLiveServer()
    expect(() => live.snapshot('no spaces')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_CHANNEL' }),
    )
    await live.close()
    expect(() => live.snapshot('prices')).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }))
  })

  it('with a backplane: resolves once the node loaded the channel from the log', async () => {
    const log = createSharedLog()
    const writer = createLiveServer({ backplane: log.node().backplane })
    const reader = createLiveServer({
      backplane: log.node().backplane,
      channels: { prices: { keep: 'last' } },
    })
    try {
      await writer.publish('prices', 1)
      const id = await writer.publish('prices', 2)
      // The reader never served the channel: it loads it from the log first.
      await expect(reader.snapshot('prices')).resolves.toEqual({ data: 2, cursor: id })
      await expect(reader.snapshot('bad name')).rejects.toMatchObject({
        code: 'ERR_INVALID_CHANNEL',
      } satisfies Partial<LiveServerError>)
    } finally {
      await writer.close()
      await reader.close()
    }
  })

  it('with a backplane: snapshots of names the node does not follow load nothing, so maxChannels of them never lock a real channel out', async () => {
    const log = createSharedLog()
    const backplane = log.node()
    const reader = await node(backplane.backplane, { maxChannels: 3 })
    const names = Array.from({ length: 1000 }, (_, at) => `made-up-${at}`)
    // 50 at a time: past maxSnapshotReads (64) in flight, more are refused (tested below).
    const snapshots: ChannelSnapshot[] = []
    for (let at = 0; at < names.length; at += 50) {
      const batch = names.slice(at, at + 50)
      snapshots.push(...(await Promise.all(batch.map((name) => reader.live.snapshot(name)))))
    }
    expect(snapshots.every((snapshot) => snapshot.cursor === '0-0')).toBe(true)
    // Read once from the log: no replica, nothing followed, nothing counted.
    expect(log.newestReads).toBe(1000)
    expect(reader.live.stats().channels).toBe(0)
    expect(names.some((name) => backplane.following(name) > 0)).toBe(false)
    // A real channel is served at once (not 503 ERR_BACKPLANE past maxChannels).
    const stream = await openStream(`${reader.url}/prices`)
    await stream.until((text) => text.includes('livedata.cursor'))
    const id = await reader.live.publish('prices', 1)
    await stream.until((text) => idsOf(text).includes(id))
    stream.close()
  })

  it('with a backplane: a snapshot read from the log is the same as a loaded one, and streaming from its cursor loses nothing and repeats nothing', async () => {
    const log = createSharedLog()
    const channels = { prices: { keep: 'last' as const } }
    const writer = await node(log.node().backplane, { channels })
    const reader = await node(log.node().backplane, { channels })
    await writer.live.publish('prices', 1)
    await writer.live.publish('orders', 'a')
    const id = await writer.live.publish('prices', 2)
    const orders = await writer.live.publish('orders', 'b')
    const read = await reader.live.snapshot('prices')
    expect(read).toEqual({ data: 2, cursor: id })
    expect(await reader.live.snapshot('orders')).toEqual({ cursor: orders })
    expect(reader.live.stats().channels).toBe(0)
    // A node whose backplane has no newest loads the channel (the path before): the same.
    const { newest: _newest, ...without } = log.node().backplane
    const loaded = await node(without, { channels })
    expect(await loaded.live.snapshot('prices')).toEqual(read)
    expect(loaded.live.stats().channels).toBe(1)
    // A client loads the snapshot, then streams from its cursor on the node that took it.
    const after = await writer.live.publish('prices', 3)
    expect(await pollFrom(reader.url, 'prices', read.cursor)).toEqual([{ id: after, data: 3 }])
  })

  it('with a backplane: a channel the node follows is read as the node has it, not from the log', async () => {
    const log = createSharedLog()
    const behind = log.node()
    const writer = await node(log.node().backplane)
    const reader = await node(behind.backplane)
    const stream = await openStream(`${reader.url}/orders`)
    await stream.until((text) => text.includes('livedata.cursor'))
    const first = await writer.live.publish('orders', 1)
    await stream.until((text) => idsOf(text).includes(first))
    // The reader falls behind the log: its snapshot is what it serves, its clients' cursor.
    behind.hold()
    await writer.live.publish('orders', 2)
    const reads = log.newestReads
    expect(await reader.live.snapshot('orders')).toEqual({ cursor: first })
    expect(log.newestReads).toBe(reads)
    behind.release()
    stream.close()
  })

  it('with a backplane without newest: the snapshot loads the channel, as a subscribe would', async () => {
    const log = createSharedLog()
    const writer = await node(log.node().backplane)
    const id = await writer.live.publish('orders', 1)
    const { newest: _newest, ...without } = log.node().backplane
    const reader = await node(without)
    expect(await reader.live.snapshot('orders')).toEqual({ cursor: id })
    expect(reader.live.stats().channels).toBe(1)
  })

  it('with a backplane: rejects with ERR_BACKPLANE when the log cannot be read, and loads nothing', async () => {
    const log = createSharedLog()
    const reader = await node(log.node().backplane)
    log.setDown(true)
    await expect(reader.live.snapshot('prices')).rejects.toMatchObject({
      code: 'ERR_BACKPLANE',
    } satisfies Partial<LiveServerError>)
    // Through the one-off read, not a follow that failed.
    expect(log.newestReads).toBe(1)
    expect(reader.live.stats().channels).toBe(0)
  })

  it('with a backplane whose newest throws something else: rejects with ERR_BACKPLANE, the cause kept', async () => {
    const boom = new Error('boom')
    const reader = await node({
      ...createSharedLog().node().backplane,
      newest: () => Promise.reject(boom),
    })
    await expect(reader.live.snapshot('prices')).rejects.toMatchObject({
      code: 'ERR_BACKPLANE',
      message: expect.stringContaining('"prices"'),
      cause: boom,
    } satisfies Partial<LiveServerError>)
    expect(reader.live.stats().channels).toBe(0)
  })

  it('with a backplane whose newest entry is not JSON: a latest-value snapshot rejects with ERR_BACKPLANE, the SyntaxError kept', async () => {
    const reader = await node(
      {
        ...createSharedLog().node().backplane,
        // An entry another tool wrote to the log.
        newest: async (channel) => ({ id: '1-0', channel, event: undefined, json: '{not json' }),
      },
      { channels: { prices: { keep: 'last' } } },
    )
    await expect(reader.live.snapshot('prices')).rejects.toMatchObject({
      code: 'ERR_BACKPLANE',
      message: expect.stringContaining('"prices"'),
      cause: expect.any(SyntaxError),
    } satisfies Partial<LiveServerError>)
  })

  // Checked by tsc (pnpm typecheck), as test/types.test.ts.
  it('is typed: a snapshot on one node, a promise of one with a backplane', async () => {
    const one = createLiveServer()
    expectTypeOf(one.snapshot<number>('x')).toEqualTypeOf<ChannelSnapshot<number>>()
    const many = createLiveServer({ backplane: createSharedLog().node().backplane })
    const pending = many.snapshot('x')
    expectTypeOf(pending).toEqualTypeOf<Promise<ChannelSnapshot<unknown>>>()
    // Closing the server ends the load this started: its rejection is awaited here, not left.
    await Promise.all([one.close(), many.close(), pending.catch(() => {})])
  })
})

describe('live.snapshot with a backplane: the reads of the log are bounded', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('snapshots of one channel at the same time share one read of the log, and the next one reads again', async () => {
    const log = createSharedLog()
    const writer = log.node()
    const first = await writer.backplane.publish(prepared('prices', '1'))
    const reading = log.node()
    const live = unattached(reading.backplane, { channels: { prices: { keep: 'last' } } })
    reading.holdNewest()
    const snapshots = Array.from({ length: 100 }, () => live.snapshot('prices'))
    expect(log.newestReads).toBe(1)
    reading.releaseNewest()
    expect(await Promise.all(snapshots)).toEqual(Array(100).fill({ data: 1, cursor: first }))
    // Nothing is cached: once answered, the next snapshot reads the log as it is now.
    const second = await writer.backplane.publish(prepared('prices', '2'))
    expect(await live.snapshot('prices')).toEqual({ data: 2, cursor: second })
    expect(log.newestReads).toBe(2)
  })

  it('past 64 reads in flight, a snapshot that needs one more rejects at once with ERR_BACKPLANE (busy), without reading the log', async () => {
    const log = createSharedLog()
    const reading = log.node()
    const live = unattached(reading.backplane)
    reading.holdNewest()
    const names = Array.from({ length: 64 }, (_, at) => `name-${at}`)
    const pending = names.map((name) => live.snapshot(name))
    await expect(live.snapshot('one-more')).rejects.toMatchObject({
      code: 'ERR_BACKPLANE',
      message: expect.stringContaining('busy, with 64 reads in flight'),
    } satisfies Partial<LiveServerError>)
    expect(log.newestReads).toBe(64)
    // A snapshot of a name being read joins that read: no more reads, no refusal.
    const joined = live.snapshot('name-0')
    expect(log.newestReads).toBe(64)
    reading.releaseNewest()
    expect(await Promise.all([...pending, joined])).toEqual(Array(65).fill({ cursor: '0-0' }))
    // Once the reads ended there is room again; nothing was loaded meanwhile.
    expect(await live.snapshot('one-more')).toEqual({ cursor: '0-0' })
    expect(live.stats().channels).toBe(0)
  })

  it('maxSnapshotReads sets the bound; 0 or a negative number is ERR_INVALID_OPTIONS', async () => {
    const reading = createSharedLog().node()
    const live = unattached(reading.backplane, { maxSnapshotReads: 2 })
    reading.holdNewest()
    const pending = [live.snapshot('a'), live.snapshot('b')]
    await expect(live.snapshot('c')).rejects.toMatchObject({
      code: 'ERR_BACKPLANE',
      message: expect.stringContaining('maxSnapshotReads is 2'),
    } satisfies Partial<LiveServerError>)
    reading.releaseNewest()
    await Promise.all(pending)
    for (const maxSnapshotReads of [0, -1]) {
      expect(() => createLiveServer({ backplane: reading.backplane, maxSnapshotReads })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }),
      )
    }
  })

  it('a snapshot whose read answers after the server closed rejects with ERR_CLOSED', async () => {
    const log = createSharedLog()
    await log.node().backplane.publish(prepared('prices', '1'))
    const reading = log.node()
    const live = unattached(reading.backplane, { channels: { prices: { keep: 'last' } } })
    reading.holdNewest()
    const pending = live.snapshot('prices')
    await live.close()
    reading.releaseNewest()
    await expect(pending).rejects.toMatchObject({
      code: 'ERR_CLOSED',
    } satisfies Partial<LiveServerError>)
  })

  it('a read in flight holds no timer that keeps the process alive', async () => {
    const reading = createSharedLog().node()
    const live = unattached(reading.backplane)
    reading.holdNewest()
    const before = refTimers()
    const pending = live.snapshot('prices')
    expect(refTimers()).toBe(before)
    reading.releaseNewest()
    expect(await pending).toEqual({ cursor: '0-0' })
  })

  // Timing logic only (the read's 10 s deadline), so fake timers.
  it('a read the log never answers rejects with ERR_BACKPLANE after 10 s, and still counts toward the bound until the log answers it', async () => {
    vi.useFakeTimers()
    const reading = createSharedLog().node()
    const live = createLiveServer({
      onError: () => {},
      backplane: reading.backplane,
      maxSnapshotReads: 1,
    })
    const timers = vi.getTimerCount()
    reading.holdNewest()
    let settled = false
    const hung = live.snapshot('hung').finally(() => {
      settled = true
    })
    const refused = expect(hung).rejects.toMatchObject({
      code: 'ERR_BACKPLANE',
      message: expect.stringContaining('"hung" within 10000 ms'),
    } satisfies Partial<LiveServerError>)
    expect(vi.getTimerCount()).toBe(timers + 1)
    await vi.advanceTimersByTimeAsync(9_999)
    expect(settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await refused
    expect(vi.getTimerCount()).toBe(timers)
    // The log still holds that read: the bound (1) counts it until it is answered.
    await expect(live.snapshot('other')).rejects.toMatchObject({
      code: 'ERR_BACKPLANE',
      message: expect.stringContaining('busy'),
    } satisfies Partial<LiveServerError>)
    reading.releaseNewest()
    await vi.advanceTimersByTimeAsync(0)
    // A read that is answered clears its timer at once.
    const answered = live.snapshot('other')
    expect(vi.getTimerCount()).toBe(timers + 1)
    expect(await answered).toEqual({ cursor: '0-0' })
    expect(vi.getTimerCount()).toBe(timers)
    await live.close()
  })
})
