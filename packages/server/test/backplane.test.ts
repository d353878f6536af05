import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import type { Backplane } from '../src/backplane'
import { createLiveServer, LiveServerError } from '../src/index'
import { idsOf, openStream, type Report, type Started, testScope } from './helpers'
import { createSharedLog } from './shared-log'

const scope = testScope()

/** A server on loopback whose channels are replicas of `backplane`. */
async function node(backplane: Backplane) {
  const reports: Report[] = []
  const live = createLiveServer({
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

  it('rejects a publish the log refused, reports it, and says so in health()', async () => {
    const log = createSharedLog()
    const a = await node(log.node().backplane)
    expect(a.live.health()).toEqual({ ok: true, backplane: { state: 'up', since: 0 } })
    log.setDown(true)
    await expect(a.live.publish('prices', 1)).rejects.toMatchObject({ code: 'ERR_BACKPLANE' })
    expect(a.reports.map((report) => report.error.code)).toEqual(['ERR_BACKPLANE'])
    expect(a.live.health().ok).toBe(false)
    // A bad message rejects too (a promise-returning publish never throws), and is reported.
    await expect(a.live.publish('bad name', 1)).rejects.toMatchObject({
      code: 'ERR_INVALID_CHANNEL',
    })
    expect(a.reports).toHaveLength(2)
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
})
