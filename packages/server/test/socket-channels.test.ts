import { describe, expect, it, vi } from 'vitest'
import { type Frame, testScope, watchEscapes } from './helpers'

// A socket keeps its one channel in a field and its channels in a Map from the second on: these
// tests cover the moves between the two (one, two, back to one, none, one again).

const { server, socket } = testScope()
const escaped = watchEscapes()

type Client = Awaited<ReturnType<typeof socket>>

const messages = (frames: Frame[]) =>
  frames.filter((f) => f.type === 'message').map((f) => `${f.channel}:${f.data}`)

/** Subscribes and waits for the `subscribed` answer. */
async function subscribe(client: Client, channel: string): Promise<void> {
  const before = client.frames.length
  client.send({ type: 'subscribe', channel, lastEventId: null })
  await client.until((f) =>
    f.slice(before).some((frame) => frame.type === 'subscribed' && frame.channel === channel),
  )
}

let refs = 0

/**
 * Unsubscribes, then waits for the ack of a send that follows it (frames are handled in order):
 * once that came, the unsubscribe was handled.
 */
async function unsubscribe(client: Client, channel: string): Promise<void> {
  const ref = ++refs
  client.send({ type: 'unsubscribe', channel })
  client.send({ type: 'send', channel: 'sync', data: null, ref })
  await client.until((f) => f.some((frame) => frame.type === 'ack' && frame.ref === ref))
}

describe("a socket's channels", () => {
  it('subscribe a and b, unsubscribe a: b goes on, a stops; a again: both; unsubscribe b: a goes on', async () => {
    const s = await server()
    const client = await socket(s)
    await subscribe(client, 'a')
    await subscribe(client, 'b')
    s.live.publish('a', 1)
    s.live.publish('b', 1)
    await client.until((f) => messages(f).length === 2)
    await unsubscribe(client, 'a')
    s.live.publish('a', 2)
    s.live.publish('b', 2)
    await client.until((f) => messages(f).includes('b:2'))
    await subscribe(client, 'a')
    s.live.publish('a', 3)
    s.live.publish('b', 3)
    await client.until((f) => messages(f).includes('b:3'))
    await unsubscribe(client, 'b')
    s.live.publish('b', 4)
    s.live.publish('a', 4)
    await client.until((f) => messages(f).includes('a:4'))
    expect(messages(client.frames)).toEqual(['a:1', 'b:1', 'b:2', 'a:3', 'b:3', 'a:4'])
    expect(escaped).toEqual([])
  })

  it('with one channel, unsubscribing another leaves it; unsubscribing it stops it; it can come back', async () => {
    const s = await server()
    const client = await socket(s)
    await subscribe(client, 'a')
    await unsubscribe(client, 'b')
    s.live.publish('a', 1)
    await client.until((f) => messages(f).includes('a:1'))
    // Only the subscribe of 'sync' follows: the socket holds that one channel, nothing else.
    client.send({ type: 'unsubscribe', channel: 'a' })
    client.send({ type: 'subscribe', channel: 'sync', lastEventId: null })
    await client.until((f) =>
      f.some((frame) => frame.type === 'subscribed' && frame.channel === 'sync'),
    )
    s.live.publish('a', 2)
    s.live.publish('sync', 2)
    await client.until((f) => messages(f).includes('sync:2'))
    await unsubscribe(client, 'sync')
    await subscribe(client, 'a')
    s.live.publish('a', 3)
    await client.until((f) => messages(f).includes('a:3'))
    expect(messages(client.frames)).toEqual(['a:1', 'sync:2', 'a:3'])
  })

  it('a socket that closes leaves every channel it followed', async () => {
    const s = await server()
    const client = await socket(s)
    for (const channel of ['a', 'b', 'c']) await subscribe(client, channel)
    // Channels nobody published on are forgotten once their last subscriber leaves.
    expect(s.live.stats().channels).toBe(3)
    client.ws.close()
    await vi.waitFor(() => expect(s.live.stats().connections).toBe(0))
    expect(s.live.stats().channels).toBe(0)
  })

  it('a socket that closes with one channel leaves it', async () => {
    const s = await server()
    const client = await socket(s)
    await subscribe(client, 'a')
    expect(s.live.stats().channels).toBe(1)
    client.ws.close()
    await vi.waitFor(() => expect(s.live.stats().connections).toBe(0))
    expect(s.live.stats().channels).toBe(0)
  })
})
