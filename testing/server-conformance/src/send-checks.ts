import { describe, expect, it } from 'vitest'
import type { SuiteContext } from './context'
import { CONFORMANCE_RULES } from './fixture'
import { type Frame, type OpenSocket, openSocket } from './socket'

const { path, maxPayload, forbiddenChannel, privateChannel, token } = CONFORMANCE_RULES

/** Registers the checks of sends: POST, and the WebSocket's `send` frames where offered. */
export function describeSends(context: SuiteContext): void {
  const post = (channel: string, body: string, headers: Record<string, string> = {}) =>
    fetch(new URL(`${path}/${encodeURIComponent(channel)}`, context.url), {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    })
  const errorCode = async (response: Response): Promise<string | undefined> =>
    ((await response.json()) as { error?: { code?: string } }).error?.code

  describe('sends (POST)', () => {
    it('a POST reaches the server’s listeners with its data and event: 204', async () => {
      const channel = context.channel('post')
      const first = await post(channel, JSON.stringify({ data: { text: 'hi' }, event: 'chat' }))
      expect(first.status).toBe(204)
      const second = await post(channel, JSON.stringify({ data: [1, 2] }))
      expect(second.status).toBe(204)
      expect(await context.control.received(channel)).toEqual([
        { data: { text: 'hi' }, event: 'chat', key: null, transport: 'http' },
        { data: [1, 2], event: null, key: null, transport: 'http' },
      ])
    })

    it('an Idempotency-Key sent twice is delivered once (204 both times); on another channel it is another send', async () => {
      const channel = context.channel('key')
      const other = context.channel('key-other')
      const headers = { 'idempotency-key': 'conformance-key-1' }
      const body = JSON.stringify({ data: 'once' })
      expect((await post(channel, body, headers)).status).toBe(204)
      expect((await post(channel, body, headers)).status).toBe(204)
      expect((await post(other, body, headers)).status).toBe(204)
      expect(await context.control.received(channel)).toEqual([
        { data: 'once', event: null, key: 'conformance-key-1', transport: 'http' },
      ])
      expect(await context.control.received(other)).toHaveLength(1)
    })

    it('a POST over maxPayload is 413 ERR_PAYLOAD_TOO_LARGE and not delivered; one within it is', async () => {
      const channel = context.channel('payload')
      const large = await post(channel, JSON.stringify({ data: 'x'.repeat(maxPayload + 1) }))
      expect(large.status).toBe(413)
      expect(await errorCode(large)).toBe('ERR_PAYLOAD_TOO_LARGE')
      const within = await post(channel, JSON.stringify({ data: 'y'.repeat(maxPayload - 100) }))
      expect(within.status).toBe(204)
      const got = await context.control.received(channel)
      expect(got.map((r) => (r.data as string).slice(0, 1))).toEqual(['y'])
    })

    it('a POST to a channel authorize refuses is 403 ERR_FORBIDDEN and not delivered', async () => {
      const refused = await post(forbiddenChannel, JSON.stringify({ data: 'no' }))
      expect(refused.status).toBe(403)
      expect(await errorCode(refused)).toBe('ERR_FORBIDDEN')
      expect(await context.control.received(forbiddenChannel)).toEqual([])
    })
  })
  if (context.transports.includes('websocket')) describeSocketSends(context)
}

/** Registers the checks of the WebSocket's `send` frames. */
function describeSocketSends(context: SuiteContext): void {
  const connect = async (): Promise<OpenSocket> => {
    const upgrade = await openSocket(context.url)
    if (!upgrade.ok) throw new Error(`The upgrade was refused with ${upgrade.status}`)
    return context.hold(upgrade.socket)
  }
  const answerTo = (socket: OpenSocket, ref: number): Promise<Frame> =>
    socket.frames.next(
      `the answer to send ${ref}`,
      (f) => f.ref === ref && (f.type === 'ack' || f.type === 'error'),
    )

  describe('sends (WebSocket)', () => {
    it('send frames are acknowledged by ref and reach the server’s listeners, in order', async () => {
      const channel = context.channel('ws-send')
      const socket = await connect()
      socket.send({ type: 'send', channel, data: { text: 'hi' }, event: 'chat', ref: 1 })
      socket.send({ type: 'send', channel, data: [1, 2], ref: 2 })
      expect(await answerTo(socket, 1)).toEqual({ type: 'ack', ref: 1 })
      expect(await answerTo(socket, 2)).toEqual({ type: 'ack', ref: 2 })
      expect(await context.control.received(channel)).toEqual([
        { data: { text: 'hi' }, event: 'chat', key: null, transport: 'websocket' },
        { data: [1, 2], event: null, key: null, transport: 'websocket' },
      ])
    })

    it('a key sent twice over the socket, then as a POST, is delivered once and acknowledged each time', async () => {
      const channel = context.channel('ws-key')
      const socket = await connect()
      const key = 'conformance-ws-key'
      socket.send({ type: 'send', channel, data: 'once', ref: 1, key })
      expect((await answerTo(socket, 1)).type).toBe('ack')
      socket.send({ type: 'send', channel, data: 'once', ref: 2, key })
      expect((await answerTo(socket, 2)).type).toBe('ack')
      const post = await fetch(new URL(`${path}/${channel}`, context.url), {
        method: 'POST',
        body: JSON.stringify({ data: 'once' }),
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
      })
      expect(post.status).toBe(204)
      expect(await context.control.received(channel)).toEqual([
        { data: 'once', event: null, key, transport: 'websocket' },
      ])
    })

    it('a send over maxPayload is answered ERR_PAYLOAD_TOO_LARGE with its ref, and the socket lives on', async () => {
      const channel = context.channel('ws-payload')
      const socket = await connect()
      socket.send({ type: 'send', channel, data: 'x'.repeat(maxPayload + 1), ref: 1 })
      expect(await answerTo(socket, 1)).toMatchObject({
        type: 'error',
        ref: 1,
        code: 'ERR_PAYLOAD_TOO_LARGE',
      })
      socket.send({ type: 'send', channel, data: 'small', ref: 2 })
      expect((await answerTo(socket, 2)).type).toBe('ack')
      expect(socket.isOpen()).toBe(true)
      expect((await context.control.received(channel)).map((r) => r.data)).toEqual(['small'])
    })

    it('a send to a channel authorize refuses is answered ERR_FORBIDDEN with its ref, not delivered', async () => {
      const socket = await connect()
      socket.send({ type: 'send', channel: forbiddenChannel, data: 'no', ref: 7 })
      expect(await answerTo(socket, 7)).toMatchObject({
        type: 'error',
        ref: 7,
        code: 'ERR_FORBIDDEN',
      })
      expect(await context.control.received(forbiddenChannel)).toEqual([])
    })

    it('authorize sees the token of a hello frame or of the upgrade request; without one the channel is refused', async () => {
      const bare = await connect()
      bare.send({ type: 'subscribe', channel: privateChannel, lastEventId: null })
      const refused = await bare.frames.next('the refusal', (f) => f.type === 'error')
      expect(refused).toMatchObject({ channel: privateChannel, code: 'ERR_FORBIDDEN' })
      const hello = await connect()
      hello.send({ type: 'hello', headers: { authorization: token } })
      hello.send({ type: 'subscribe', channel: privateChannel, lastEventId: null })
      const subscribed = await hello.frames.next(
        'the subscription',
        (f) => f.channel === privateChannel,
      )
      expect(subscribed.type).toBe('subscribed')
      hello.send({ type: 'send', channel: privateChannel, data: 'hello token', ref: 1 })
      expect((await answerTo(hello, 1)).type).toBe('ack')
      const upgrade = await openSocket(context.url, undefined, { authorization: token })
      if (!upgrade.ok) throw new Error(`The upgrade was refused with ${upgrade.status}`)
      const headed = context.hold(upgrade.socket)
      headed.send({ type: 'subscribe', channel: privateChannel, lastEventId: null })
      const opened = await headed.frames.next(
        'the subscription',
        (f) => f.channel === privateChannel,
      )
      expect(opened.type).toBe('subscribed')
    })

    it('a frame that is not JSON is answered by an error without ref or channel, and the socket lives on', async () => {
      const channel = context.channel('ws-bad')
      const socket = await connect()
      socket.sendText('{not json')
      const error = await socket.frames.next('the error frame', (f) => f.type === 'error')
      expect(error).not.toHaveProperty('ref')
      expect(error).not.toHaveProperty('channel')
      expect(typeof error.code).toBe('string')
      socket.send({ type: 'send', channel, data: 1, ref: 1 })
      expect((await answerTo(socket, 1)).type).toBe('ack')
    })
  })
}
