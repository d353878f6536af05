import { describe, expect, it } from 'vitest'
import { eventsOf, idsOf, openStream, type Started, testScope } from './helpers'

const { server, socket, defer } = testScope()

interface PollAnswer {
  cursor: string
  gap: boolean
  messages: Array<{ id: string; data: unknown }>
}

/** A server whose channel `room` holds five messages; returns their ids. */
async function room(options = {}): Promise<{ s: Started; ids: string[] }> {
  const s = await server(options)
  const ids = [1, 2, 3, 4, 5].map((n) => s.live.publish('room', n))
  return { s, ids }
}

describe('a backlog on subscribe (replay=<n>)', () => {
  it('SSE replays the last n messages, with no gap and no cursor, then goes on live', async () => {
    const { s, ids } = await room()
    const sse = await openStream(`${s.url}/room?replay=3`)
    defer(() => sse.close())
    await sse.until((text) => idsOf(text).length === 3)
    s.live.publish('room', 6)
    const text = await sse.until((t) => idsOf(t).length === 4)
    expect(idsOf(text).slice(0, 3)).toEqual(ids.slice(2))
    expect(text).not.toContain('livedata.cursor')
    expect(text).not.toContain('livedata.gap')
  })

  it.each(['long-polling', 'polling'])(
    '%s answers at once with the last n and their cursor',
    async (transport) => {
      const { s, ids } = await room()
      const response = await fetch(`${s.url}/room?transport=${transport}&replay=2`)
      const body = (await response.json()) as PollAnswer
      expect(body.gap).toBe(false)
      expect(body.messages.map((m) => m.id)).toEqual(ids.slice(3))
      expect(body.cursor).toBe(ids[4])
    },
  )

  it('the iframe stream opens without a cursor, then posts the last n', async () => {
    const { s, ids } = await room()
    const controller = new AbortController()
    defer(() => controller.abort())
    const origin = encodeURIComponent(s.origin)
    const response = await fetch(
      `${s.url}/room?transport=iframe&origin=${origin}&nonce=abcdefgh12&replay=2`,
      {
        signal: controller.signal,
      },
    )
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    while (text.split('"t":"m"').length < 3) {
      const { value } = await reader.read()
      text += new TextDecoder().decode(value)
    }
    expect(text).toContain('p({"t":"o","retry":1000})')
    expect(text).not.toContain('"cursor"')
    expect([...text.matchAll(/"id":"([^"]+)"/g)].map((m) => m[1])).toEqual(ids.slice(3))
  })

  it('WebSocket: "replay": n in the subscribe frame; subscribed carries no cursor', async () => {
    const { s, ids } = await room()
    const client = await socket(s)
    client.send({ type: 'subscribe', channel: 'room', lastEventId: null, replay: 2 })
    const frames = await client.until((f) => f.filter((x) => x.type === 'message').length === 2)
    expect(frames[0]).toEqual({ type: 'subscribed', channel: 'room' })
    expect(frames.slice(1).map((f) => f.id)).toEqual(ids.slice(3))
  })

  it.each([
    ['50', '50'],
    ['a 400-digit number', '9'.repeat(400)],
  ])('replay=%s is capped by what history holds', async (_name, count) => {
    const { s, ids } = await room({ history: 4 })
    const url = `${s.url}/room?transport=polling&replay=${count}`
    const body = (await (await fetch(url)).json()) as PollAnswer
    expect(body.messages.map((m) => m.id)).toEqual(ids.slice(1))
    expect(body.gap).toBe(false)
  })

  it('on a channel with nothing yet, the subscriber gets its cursor as usual', async () => {
    const s = await server()
    const sse = await openStream(`${s.url}/empty?replay=10`)
    defer(() => sse.close())
    const text = await sse.until((t) => t.includes('livedata.cursor'))
    expect(eventsOf(text)[0]).toEqual({ id: '0-0', event: 'livedata.cursor', data: '' })
    const client = await socket(s)
    client.send({ type: 'subscribe', channel: 'empty', replay: 10 })
    const [subscribed] = await client.until((f) => f.length === 1)
    expect(subscribed).toEqual({ type: 'subscribed', channel: 'empty', cursor: '0-0' })
  })

  it('is ignored by a subscriber that resumes from an id', async () => {
    const { s, ids } = await room()
    const url = `${s.url}/room?transport=polling&replay=5&lastEventId=${ids[3]}`
    const body = (await (await fetch(url)).json()) as PollAnswer
    expect(body.messages.map((m) => m.id)).toEqual([ids[4]])
  })

  it.each(['0', '-2', 'abc', '1.5', ''])('replay=%s is ignored', async (value) => {
    const { s, ids } = await room()
    const body = (await (
      await fetch(`${s.url}/room?transport=polling&replay=${value}`)
    ).json()) as PollAnswer
    expect(body).toMatchObject({ cursor: ids[4], messages: [] })
  })
})
