import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import type { Backplane } from '../src/backplane'
import { createLiveServer, LiveServerError, type LiveServerOptions } from '../src/index'
import { idsOf, openStream, type Report, type Started, testScope } from './helpers'
import { createSharedLog } from './shared-log'

const scope = testScope()

/** A server on loopback whose channels are replicas of `backplane`. */
async function node(backplane: Backplane, options: LiveServerOptions = {}) {
  const reports: Report[] = []
  const live = createLiveServer({
    ...options,
    backplane,
    onError: (error, context) => reports.push({ error, context }),
  })
  const http = createServer()
  live.attach(http)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  scope.defer(async () => {
    await live.close()
    http.closeAllConnections()
    await new Promise<void>((resolve) => http.close(() => resolve()))
  })
  return { live, http, origin, url: `${origin}${live.path}`, reports }
}

/** A raw WebSocket on a node, closed after the test. */
const socketOn = (target: { url: string }) => scope.socket({ url: target.url } as Started)

describe('a server with a backplane', () => {
  it('delivers a publish made on another node, with the log’s id, to SSE and WebSocket clients', async () => {
    const log = createSharedLog()
    const a = await node(log.node().backplane)
    const b = await node(log.node().backplane)
    const stream = await openStream(`${b.url}/prices`)
    await stream.until((text) => text.includes('livedata.cursor'))
    const socket = await socketOn(b)
    socket.send({ type: 'subscribe', channel: 'prices' })
    await socket.until((frames) => frames.some((frame) => frame.type === 'subscribed'))
    const published = a.live.publish('prices', { AAPL: 1 })
    expect(published).toBeInstanceOf(Promise)
    const id = await published
    await stream.until((text) => idsOf(text).length === 1)
    expect(idsOf(stream.text)).toEqual([id])
    const frames = await socket.until((all) => all.some((frame) => frame.type === 'message'))
    expect(frames.find((frame) => frame.type === 'message')).toMatchObject({
      id,
      data: { AAPL: 1 },
    })
    stream.close()
  })

  it('delivers the node’s own publish through the log, not twice', async () => {
    const log = createSharedLog()
    const a = await node(log.node().backplane)
    const stream = await openStream(`${a.url}/prices`)
    await stream.until((text) => text.includes('livedata.cursor'))
    const first = await a.live.publish('prices', 1)
    const second = await a.live.publish('prices', 2)
    await stream.until((text) => idsOf(text).length === 2)
    expect(idsOf(stream.text)).toEqual([first, second])
    stream.close()
  })

  it('makes a client resuming from an id this node has not read yet wait for it, without a gap', async () => {
    const log = createSharedLog()
    const a = await node(log.node().backplane)
    const behind = log.node()
    // b asks the log whether it holds an id it has not read: that is when b is waiting.
    let asked: () => void = () => {}
    const asking = new Promise<void>((resolve) => {
      asked = resolve
    })
    const b = await node({
      ...behind.backplane,
      has: (channel, id) => {
        asked()
        return behind.backplane.has(channel, id)
      },
    })
    // b loads the channel, then falls behind the log.
    const warm = await openStream(`${b.url}/prices`)
    await warm.until((text) => text.includes('livedata.cursor'))
    warm.close()
    behind.hold()
    const first = await a.live.publish('prices', 1)
    const opening = openStream(`${b.url}/prices?lastEventId=${first}`)
    // Without the wait, b would answer at once: a gap, for an id it has not read yet.
    await Promise.race([asking, opening])
    const second = await a.live.publish('prices', 2)
    behind.release()
    const resumed = await opening
    await resumed.until((text) => idsOf(text).includes(second))
    // Nothing before the id again, and no gap: the id was the log's, only not yet read here.
    expect(idsOf(resumed.text)).toEqual([second])
    expect(resumed.text).not.toContain('livedata.gap')
    resumed.close()
  })

  it('gives a gap for an id the log does not hold, at once', async () => {
    const log = createSharedLog()
    const a = await node(log.node().backplane)
    await a.live.publish('prices', 1)
    const stream = await openStream(`${a.url}/prices?lastEventId=99999999999999-0`)
    await stream.until((text) => text.includes('livedata.gap'))
    stream.close()
  })

  it('ends the connections of a channel whose log was lost; resuming there is a gap', async () => {
    const log = createSharedLog()
    const a = await node(log.node().backplane)
    const stream = await openStream(`${a.url}/prices`)
    await stream.until((text) => text.includes('livedata.cursor'))
    const id = await a.live.publish('prices', 1)
    await stream.until((text) => idsOf(text).length === 1)
    log.wipe('prices')
    await stream.ended
    const resumed = await openStream(`${a.url}/prices?lastEventId=${id}`)
    await resumed.until((text) => text.includes('livedata.gap'))
    const socket = await socketOn(a)
    socket.send({ type: 'subscribe', channel: 'prices', lastEventId: id })
    const frames = await socket.until((all) => all.some((frame) => frame.type === 'gap'))
    expect(frames.map((frame) => frame.type)).toEqual(['subscribed', 'gap'])
    resumed.close()
  })

  it('answers 503 ERR_BACKPLANE with Retry-After when a channel cannot be loaded, and an error frame over WebSocket', async () => {
    const log = createSharedLog()
    const a = await node(log.node().backplane)
    log.setDown(true)
    const response = await fetch(`${a.url}/prices`)
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('1')
    expect(await response.json()).toMatchObject({ error: { code: 'ERR_BACKPLANE' } })
    const socket = await socketOn(a)
    socket.send({ type: 'subscribe', channel: 'prices' })
    const frames = await socket.until((all) => all.length > 0)
    expect(frames[0]).toMatchObject({ type: 'error', code: 'ERR_BACKPLANE', channel: 'prices' })
    // Once the log is back, the same channel loads: the failed follow was not kept.
    log.setDown(false)
    const stream = await openStream(`${a.url}/prices`)
    expect(stream.response.status).toBe(200)
    await stream.until((text) => text.includes('livedata.cursor'))
    stream.close()
  })

  it('rejects a publish the log refused without reporting each one, and says so in health()', async () => {
    const log = createSharedLog()
    const a = await node(log.node().backplane)
    expect(a.live.health()).toEqual({ ok: true, backplane: { state: 'up', since: 0 } })
    log.setDown(true)
    await expect(a.live.publish('prices', 1)).rejects.toMatchObject({ code: 'ERR_BACKPLANE' })
    // Nobody awaits these: never an unhandled rejection (vitest fails the run on one).
    for (let n = 0; n < 100; n++) a.live.publish('prices', n)
    await expect(a.live.publish('prices', 2)).rejects.toMatchObject({ code: 'ERR_BACKPLANE' })
    // The outage is the backplane's to report, once: not once per publish.
    expect(a.reports).toEqual([])
    expect(a.live.health().ok).toBe(false)
    // A bad message rejects too (a promise-returning publish never throws), and is reported.
    await expect(a.live.publish('bad name', 1)).rejects.toMatchObject({
      code: 'ERR_INVALID_CHANNEL',
    })
    a.live.publish('bad name', 1)
    await a.live.close()
    await expect(a.live.publish('prices', 1)).rejects.toMatchObject({ code: 'ERR_CLOSED' })
    expect(a.reports.map((report) => report.error.code)).toEqual([
      'ERR_INVALID_CHANNEL',
      'ERR_INVALID_CHANNEL',
      'ERR_CLOSED',
    ])
  })

  it('rejects after close(), and closes the backplane', async () => {
    const log = createSharedLog()
    const shared = log.node()
    let closed = 0
    const backplane: Backplane = {
      ...shared.backplane,
      close: async () => void closed++,
    }
    const a = await node(backplane)
    await a.live.close()
    expect(closed).toBe(1)
    await expect(a.live.publish('prices', 1)).rejects.toMatchObject({ code: 'ERR_CLOSED' })
  })

  it('refuses a backplane that is not one', () => {
    expect(() => createLiveServer({ backplane: {} as Backplane })).toThrow(LiveServerError)
    expect(() => createLiveServer({ backplane: {} as Backplane })).toThrow(
      /has no start, publish, follow, has, health, close/,
    )
  })

  it('serves a long poll and a short poll from the log on a node that never had the channel', async () => {
    const log = createSharedLog()
    const a = await node(log.node().backplane)
    const b = await node(log.node().backplane)
    const first = await a.live.publish('prices', 1)
    const poll = await fetch(`${b.url}/prices?transport=polling&lastEventId=0-0`)
    expect(await poll.json()).toMatchObject({ gap: false, messages: [{ id: first, data: 1 }] })
    const held = fetch(`${b.url}/prices?transport=long-polling&lastEventId=${first}`)
    // Held or not yet, the poll stands at `first`: the next publish on a is its answer.
    const second = await a.live.publish('prices', 2)
    expect(await (await held).json()).toMatchObject({ messages: [{ id: second, data: 2 }] })
  })

  it('subscribes a multiplexed request to a channel lost while another loaded only once it is loaded again', async () => {
    const log = createSharedLog()
    const shared = log.node()
    const a = await node(shared.backplane)
    const first = await a.live.publish('a', 1)
    shared.holdLoads('b')
    const aLoaded = shared.loaded('a')
    const polling = fetch(`${a.url}?c=a&c=b&transport=polling`)
    await aLoaded
    shared.lose('a', false)
    const reloaded = shared.loaded('a')
    shared.releaseLoads('b')
    setTimeout(() => shared.reload('a'), 20)
    await reloaded
    const response = await polling
    expect(response.status).toBe(200)
    // The fresh client is told where a stands: its first message, not an empty ring's 0-0.
    expect(await response.json()).toMatchObject({
      channels: { a: { cursor: first, gap: false }, b: { cursor: '0-0' } },
    })
  })

  it('answers 503 ERR_BACKPLANE past maxChannels, over HTTP and WebSocket, reported once', async () => {
    const log = createSharedLog()
    const a = await node(log.node().backplane, { maxChannels: 2 })
    for (const name of ['one', 'two']) {
      expect((await fetch(`${a.url}/${name}?transport=polling`)).status).toBe(200)
    }
    for (const name of ['three', 'four']) {
      const response = await fetch(`${a.url}/${name}?transport=polling`)
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toBe('1')
      expect(await response.json()).toMatchObject({
        error: { code: 'ERR_BACKPLANE', message: expect.stringContaining('maxChannels (2)') },
      })
    }
    const socket = await socketOn(a)
    socket.send({ type: 'subscribe', channel: 'five' })
    socket.send({ type: 'subscribe', channel: 'one' })
    const frames = await socket.until((all) => all.length >= 2)
    expect(frames[0]).toMatchObject({ type: 'error', code: 'ERR_BACKPLANE', channel: 'five' })
    expect(frames[1]).toMatchObject({ type: 'subscribed', channel: 'one' })
    expect(a.live.stats().channels).toBe(2)
    expect(a.reports.map((report) => [report.error.code, report.context.client])).toEqual([
      ['ERR_BACKPLANE', false],
    ])
  })

  it('refuses maxChannels that is not a whole number of at least 1', () => {
    const { backplane } = createSharedLog().node()
    for (const maxChannels of [0, -1, Number.NaN]) {
      expect(() => createLiveServer({ backplane, maxChannels })).toThrow(/maxChannels/)
    }
  })

  it('refuses history 0 with a backplane', () => {
    const { backplane } = createSharedLog().node()
    expect(() => createLiveServer({ backplane, history: 0 })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_OPTIONS',
        message: expect.stringContaining('history must be at least 1 with a backplane'),
      }),
    )
    // Without one, history 0 stays a server without resume.
    expect(() => createLiveServer({ history: 0 })).not.toThrow()
  })

  it('refuses a WebSocket subscribe past 1000 channels before loading the channel', async () => {
    const log = createSharedLog()
    const a = await node(log.node().backplane)
    const socket = await socketOn(a)
    for (let n = 0; n <= 1000; n++) socket.send({ type: 'subscribe', channel: `c${n}` })
    const frames = await socket.until((all) => all.length === 1001)
    expect(frames.at(-1)).toMatchObject({ type: 'error', code: 'ERR_TOO_MANY', channel: 'c1000' })
    // The refused channel was never followed.
    expect(a.live.stats().channels).toBe(1000)
  })

  it('answers a keyed send 503 ERR_BACKPLANE while the idempotency store fails, reported once', async () => {
    const log = createSharedLog()
    let storeDown = true
    const backplane: Backplane = {
      ...log.node().backplane,
      idempotency: {
        claim: async () => {
          if (storeDown) throw new LiveServerError('ERR_BACKPLANE', 'Redis is unreachable')
          return true
        },
        release: () => {},
      },
    }
    const a = await node(backplane)
    const received: unknown[] = []
    a.live.on('message', (_channel, data) => void received.push(data))
    const post = (key: string) =>
      fetch(`${a.url}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ data: key }),
      })
    const response = await post('k1')
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('1')
    expect(await response.json()).toMatchObject({ error: { code: 'ERR_BACKPLANE' } })
    const socket = await socketOn(a)
    socket.send({ type: 'send', channel: 'chat', data: 'k2', key: 'k2', ref: 7 })
    const frames = await socket.until((all) => all.length > 0)
    expect(frames[0]).toMatchObject({ type: 'error', code: 'ERR_BACKPLANE', ref: 7 })
    expect(received).toEqual([])
    // Two failed sends, one report: the server's fault.
    expect(a.reports.map((report) => [report.error.code, report.context.client])).toEqual([
      ['ERR_BACKPLANE', false],
    ])
    storeDown = false
    expect((await post('k1')).status).toBe(204)
    expect(received).toEqual(['k1'])
  })
})
