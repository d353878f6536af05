import type { Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { testScope, watchEscapes } from './helpers'

const { server, socket } = testScope()

/** Process-level failures while a test runs: there must be none. */
const escaped = watchEscapes()

const sendFrame = (ref: number, data: unknown) => ({ type: 'send', channel: 'chat', ref, data })
const acks = (frames: Array<Record<string, unknown>>) =>
  frames.filter((f) => f.type === 'ack').map((f) => f.ref)
const refs = (n: number) => Array.from({ length: n }, (_, i) => i)
/** An authorize that asks a database: a millisecond per frame, so frames pile up behind it. */
const slowAuthorize = () => new Promise<boolean>((resolve) => setTimeout(resolve, 1, true))

describe('a client that sends in bursts waits, it is not cut', () => {
  it.each([
    ['no authorize', undefined],
    ['an async authorize', slowAuthorize],
  ])(
    '300 sends in one go (%s) are all acked, in order, the socket intact',
    async (_name, authorize) => {
      const s = await server({ authorize })
      const received: unknown[] = []
      s.live.on('message', (_channel, data) => {
        received.push(data)
      })
      const client = await socket(s)
      for (const ref of refs(300)) client.send(sendFrame(ref, { i: ref }))
      const frames = await client.until((f) => acks(f).length === 300)
      expect(acks(frames)).toEqual(refs(300))
      expect(received).toEqual(refs(300).map((i) => ({ i })))
      expect(client.ws.readyState).toBe(client.ws.OPEN)
      expect(s.reports).toEqual([])
    },
  )

  it('300 sends of 8 KiB (past the byte threshold) are all acked, in order', async () => {
    const s = await server({ authorize: slowAuthorize })
    const client = await socket(s)
    const data = 'x'.repeat(8 * 1024)
    for (const ref of refs(300)) client.send(sendFrame(ref, data))
    const frames = await client.until((f) => acks(f).length === 300)
    expect(acks(frames)).toEqual(refs(300))
    expect(client.ws.readyState).toBe(client.ws.OPEN)
  })

  it('300 subscribes at once are all live', async () => {
    const s = await server({ authorize: slowAuthorize })
    const client = await socket(s)
    for (const i of refs(300)) client.send({ type: 'subscribe', channel: `ticker-${i}` })
    await client.until((f) => f.filter((x) => x.type === 'subscribed').length === 300)
    expect(s.live.stats().connections).toBe(1)
  })
})

describe('a peer whose frames wait on a slow authorize', () => {
  it('is paused: the server takes at most the pause threshold, one frame and one read from it, then serves everything once authorize answers', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const s = await server({ authorize: () => gate.then(() => true) })
    // What the server's WebSocket took off its socket: every byte it can be holding.
    let taken = 0
    let serverSide: Socket | undefined
    s.http.on('upgrade', (_request, raw: Socket) => {
      serverSide = raw
      raw.on('data', (chunk: Buffer) => {
        taken += chunk.length
      })
    })
    const client = await socket(s)
    const data = 'x'.repeat(64 * 1024 - 100)
    const count = 200 // 12.8 MB: far past the 1 MiB threshold
    for (const ref of refs(count)) client.send(sendFrame(ref, data))
    const total = count * data.length
    // Until the server stopped reading, or (without backpressure) took everything.
    while (!serverSide?.isPaused() && taken < total) {
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    const threshold = 1024 * 1024
    const maxFrame = 4 * 64 * 1024 + 1024
    const oneRead = 64 * 1024
    expect(taken).toBeLessThanOrEqual(threshold + maxFrame + oneRead)
    release()
    const frames = await client.until((f) => acks(f).length === count)
    expect(acks(frames)).toEqual(refs(count))
    expect(serverSide?.isPaused()).toBe(false)
    expect(escaped).toEqual([])
  }, 20_000)
})

describe('a send over maxPayload', () => {
  it('is answered ERR_PAYLOAD_TOO_LARGE with its ref, alone: the socket and the next send go on', async () => {
    const s = await server({ maxPayload: 1024 })
    const received: unknown[] = []
    s.live.on('message', (_channel, data) => {
      received.push(data)
    })
    const client = await socket(s)
    client.send({ type: 'subscribe', channel: 'chat' })
    client.send(sendFrame(1, 'x'.repeat(2000)))
    client.send(sendFrame(2, 'ok'))
    const frames = await client.until((f) => acks(f).length === 1)
    const error = frames.find((f) => f.type === 'error')
    expect(error).toMatchObject({ code: 'ERR_PAYLOAD_TOO_LARGE', ref: 1 })
    expect(error).not.toHaveProperty('channel')
    expect(error?.message).toContain('maxPayload (1024 bytes)')
    expect(acks(frames)).toEqual([2])
    expect(received).toEqual(['ok'])
    expect(client.ws.readyState).toBe(client.ws.OPEN)
    expect(s.reports.map((r) => [r.error.code, r.context.client])).toEqual([
      ['ERR_PAYLOAD_TOO_LARGE', true],
    ])
  })

  it('is measured by its data: a frame over maxPayload whose data is within it is taken', async () => {
    const s = await server({ maxPayload: 1024 })
    const client = await socket(s)
    // 1,002 bytes of data, a 256-character event: the frame is ~1.3 kB.
    client.send({ ...sendFrame(1, 'y'.repeat(1000)), event: 'e'.repeat(256) })
    const frames = await client.until((f) => f.length === 1)
    expect(frames).toEqual([{ type: 'ack', ref: 1 }])
  })

  it('nested deep within a large frame is measured without a throw', async () => {
    const s = await server({ maxPayload: 1024 })
    const client = await socket(s)
    const deep = `${'['.repeat(2000)}${']'.repeat(2000)}`
    client.send(`{"type":"send","channel":"chat","ref":1,"data":${deep}}`)
    const [error] = await client.until((f) => f.length === 1)
    expect(error).toMatchObject({ code: 'ERR_PAYLOAD_TOO_LARGE', ref: 1 })
    expect(escaped).toEqual([])
  })

  it('a frame past four times maxPayload (and its envelope) still closes the socket with 1009', async () => {
    const s = await server({ maxPayload: 1024 })
    const client = await socket(s)
    client.send(sendFrame(1, 'x'.repeat(4 * 1024 + 1024)))
    expect((await client.closed).code).toBe(1009)
  })
})
