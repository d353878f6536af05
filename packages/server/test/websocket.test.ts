import { once } from 'node:events'
import type { Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { AuthorizeContext, MessageContext } from '../src/index'
import { nested, testScope, watchEscapes } from './helpers'

const { server, socket, defer } = testScope()

/** Process-level failures while a test runs: there must be none. */
const escaped = watchEscapes()

describe('error frames name what they answer', () => {
  it('an error about a send frame carries its ref and no channel, even for a send without data', async () => {
    const s = await server()
    const client = await socket(s)
    client.send({ type: 'send', channel: 'chat', ref: 3 })
    const [error] = await client.until((f) => f.length === 1)
    expect(error).toMatchObject({ type: 'error', code: 'ERR_INVALID_FRAME', ref: 3 })
    expect(error).not.toHaveProperty('channel')
    expect(error?.message).toContain('data')
  })

  it('a send with a bad channel or event still gets its ref back', async () => {
    const s = await server()
    const client = await socket(s)
    client.send({ type: 'send', channel: 'bad channel!', data: 1, ref: 4 })
    client.send({ type: 'send', channel: 'chat', data: 1, event: 'a\nb', ref: 5 })
    client.send({ type: 'send', channel: 'chat', data: 1, ref: 'six' })
    const frames = await client.until((f) => f.length === 3)
    expect(frames.map((f) => f.ref)).toEqual([4, 5, undefined])
    for (const frame of frames) expect(frame).not.toHaveProperty('channel')
  })

  it('only an error answering a subscribe frame carries the channel', async () => {
    const s = await server()
    const client = await socket(s)
    client.send({ type: 'subscribe', channel: 'bad channel!' })
    client.send({ type: 'unsubscribe', channel: 'bad channel!' })
    client.send({ type: 'dance', channel: 'chat' })
    client.send({ type: 'subscribe', channel: ['not', 'a', 'string'] })
    const frames = await client.until((f) => f.length === 4)
    expect(frames.map((f) => f.channel)).toEqual(['bad channel!', undefined, undefined, undefined])
    expect(frames.every((f) => f.code === 'ERR_INVALID_FRAME' && f.ref === undefined)).toBe(true)
  })

  it('a listener failure and an authorize refusal of a send answer with its ref', async () => {
    const s = await server({ authorize: ({ channel }) => channel !== 'secret' })
    s.live.on('message', () => {
      throw new Error('no')
    })
    const client = await socket(s)
    client.send({ type: 'send', channel: 'secret', data: 1, ref: 1 })
    client.send({ type: 'send', channel: 'chat', data: 1, ref: 2 })
    const frames = await client.until((f) => f.length === 2)
    expect(frames).toEqual([
      expect.objectContaining({ code: 'ERR_FORBIDDEN', ref: 1 }),
      expect.objectContaining({ code: 'ERR_LISTENER', ref: 2 }),
    ])
    expect(frames.some((f) => 'channel' in f)).toBe(false)
  })

  it('quotes client input cut to 200 characters', async () => {
    const s = await server()
    const client = await socket(s)
    client.send({ type: 'x'.repeat(10_000) })
    const [error] = await client.until((f) => f.length === 1)
    const message = String(error?.message)
    expect(message).toContain(`"${'x'.repeat(200)}…"`)
    expect(message.length).toBeLessThan(400)
  })
})

describe('hostile frames', () => {
  it('a type or channel nested 10,000 arrays deep is answered, and the server lives on', async () => {
    const s = await server()
    const client = await socket(s)
    client.send(`{"type":${nested(10_000)},"channel":"chat"}`)
    client.send(`{"type":"subscribe","channel":${nested(10_000)}}`)
    client.send(`{"type":"send","channel":"chat","ref":1,"event":${nested(10_000)}}`)
    const frames = await client.until((f) => f.length === 3)
    expect(frames.map((f) => f.code)).toEqual(Array(3).fill('ERR_INVALID_FRAME'))
    expect(frames[0]?.message).toContain('an array')
    client.send({ type: 'subscribe', channel: 'chat' })
    await client.until((f) => f.some((x) => x.type === 'subscribed'))
    expect(escaped).toEqual([])
  })

  it('a binary frame is answered with an error that names nothing', async () => {
    const s = await server()
    const client = await socket(s)
    client.ws.send(Buffer.from('{"type":"subscribe","channel":"chat"}'), { binary: true })
    const [error] = await client.until((f) => f.length === 1)
    expect(error).toEqual({
      type: 'error',
      code: 'ERR_INVALID_FRAME',
      message: 'frames must be text, not binary',
    })
  })

  it('a peer that floods bad frames and never reads is closed, and reported', async () => {
    const s = await server({ maxBufferedBytes: 16 * 1024 })
    const client = await socket(s)
    // Read nothing: every answer stays in the server's socket.
    ;(client.ws as unknown as { _socket: Socket })._socket.pause()
    const frame = JSON.stringify({ type: 'y'.repeat(180) })
    // In batches the server handles at once: fewer than 256 frames ever wait.
    for (let i = 0; i < 200_000 && s.live.stats().connections > 0; i++) {
      client.send(frame)
      if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    while (s.live.stats().connections > 0) await new Promise((resolve) => setImmediate(resolve))
    expect(
      s.reports.map((r) => r.error.code).filter((code) => code !== 'ERR_INVALID_FRAME'),
    ).toEqual(['ERR_SLOW_CLIENT'])
    expect(escaped).toEqual([])
  })
})

describe('the hello frame', () => {
  it("its authorization reaches authorize and message listeners beside the upgrade's headers; cookie, host and sec-* never", async () => {
    const asked: AuthorizeContext[] = []
    const s = await server({
      authorize: (context) => {
        asked.push(context)
        return context.headers.authorization === 'Bearer good'
      },
    })
    const received: MessageContext[] = []
    s.live.on('message', (_channel, _data, context) => {
      received.push(context)
    })
    const client = await socket(s, { headers: { 'X-From-Upgrade': 'yes', Cookie: 'a=1' } })
    client.send({
      type: 'hello',
      headers: { Authorization: 'Bearer good', cookie: 'forged=1', 'Sec-Fake': 'x', host: 'evil' },
    })
    client.send({ type: 'subscribe', channel: 'chat' })
    client.send({ type: 'send', channel: 'chat', data: 1, ref: 1 })
    await client.until((f) => f.some((x) => x.type === 'ack'))
    expect(client.frames[0]).toMatchObject({ type: 'subscribed', channel: 'chat' })
    for (const context of [...asked, ...received]) {
      expect(context.headers.authorization).toBe('Bearer good')
      expect(context.headers['x-from-upgrade']).toBe('yes')
      expect(context.headers.cookie).toBe('a=1')
      expect(context.headers.host).toBe(new URL(s.origin).host)
      expect(context.headers['sec-fake']).toBeUndefined()
      expect(Object.isFrozen(context.headers)).toBe(true)
      expect(context.transport).toBe('websocket')
    }
    expect(asked.map((c) => c.action)).toEqual(['subscribe', 'send'])
  })

  it('without a hello, the upgrade request’s headers are what authorize sees', async () => {
    const s = await server({ authorize: ({ headers }) => headers.authorization === 'Bearer good' })
    const client = await socket(s)
    client.send({ type: 'subscribe', channel: 'chat' })
    const [error] = await client.until((f) => f.length === 1)
    expect(error).toMatchObject({ type: 'error', code: 'ERR_FORBIDDEN', channel: 'chat' })
  })

  it('a hello after another frame is refused with ERR_INVALID_HELLO and closes the socket with 1008, the code in the reason', async () => {
    const s = await server()
    const client = await socket(s)
    const reason = new Promise<string>((resolve) =>
      client.ws.once('close', (_code, why) => resolve(String(why))),
    )
    client.send({ type: 'subscribe', channel: 'chat' })
    client.send({ type: 'hello', headers: { authorization: 'Bearer late' } })
    const { code } = await client.closed
    expect(code).toBe(1008)
    const refusal = client.frames.at(-1)
    expect(refusal).toMatchObject({ type: 'error', code: 'ERR_INVALID_HELLO' })
    expect(refusal).not.toHaveProperty('ref')
    expect(refusal).not.toHaveProperty('channel')
    expect(refusal?.message).toContain('first frame')
    expect(await reason).toMatch(/^ERR_INVALID_HELLO: a hello frame must be the first frame/)
    expect(s.reports.map((r) => r.error.code)).toEqual(['ERR_INVALID_HELLO'])
  })

  it.each([
    ['headers that are not an object', { headers: ['a'] }],
    ['a header that is not a string', { headers: { authorization: 1 } }],
    ['a header name that is not a token', { headers: { 'bad name': 'x' } }],
    ['a header value with a line break', { headers: { authorization: 'a\r\nb' } }],
    ['a header value over 8 KiB', { headers: { authorization: 'x'.repeat(8193) } }],
    [
      'more than 32 headers',
      { headers: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`h${i}`, 'x'])) },
    ],
    ['headers nested 10,000 deep', `{"type":"hello","headers":${nested(10_000)}}`],
  ])(
    'a hello with %s is refused with ERR_INVALID_HELLO and closes the socket with 1008',
    async (_name, hello) => {
      const s = await server()
      const client = await socket(s)
      const reason = new Promise<Buffer>((resolve) =>
        client.ws.once('close', (_code, why) => resolve(why)),
      )
      client.send(typeof hello === 'string' ? hello : { type: 'hello', ...hello })
      const { code } = await client.closed
      expect(code).toBe(1008)
      expect(client.frames).toEqual([expect.objectContaining({ code: 'ERR_INVALID_HELLO' })])
      const why = await reason
      expect(String(why)).toMatch(/^ERR_INVALID_HELLO: a hello frame /)
      expect(why.length).toBeLessThanOrEqual(123)
      expect(s.live.stats().connections).toBe(0)
    },
  )
})

describe('heartbeat', () => {
  it('keeps a peer whose pongs come one interval late', async () => {
    const s = await server({ heartbeat: 40 })
    const ws = new WebSocket(s.url.replace('http', 'ws'), { autoPong: false })
    defer(() => ws.terminate())
    let pings = 0
    const sixPings = new Promise<void>((resolve, reject) => {
      ws.on('close', () => reject(new Error(`terminated after ${pings} pings`)))
      ws.on('ping', () => {
        // Each pong answers the previous ping: always one interval late.
        if (++pings > 1) ws.pong()
        if (pings === 6) resolve()
      })
    })
    await sixPings
    expect(ws.readyState).toBe(WebSocket.OPEN)
  })

  it('terminates a peer that answered none of the last two pings', async () => {
    const s = await server({ heartbeat: 40 })
    const ws = new WebSocket(s.url.replace('http', 'ws'), { autoPong: false })
    defer(() => ws.terminate())
    let pings = 0
    ws.on('ping', () => pings++)
    await once(ws, 'open')
    await once(ws, 'close')
    expect(pings).toBe(2)
    expect(s.live.stats().connections).toBe(0)
  })
})
