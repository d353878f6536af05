import { describe, expect, it } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import type { LiveClient, SourceOptions } from '../src/types'
import { testScope, until, waitForSnapshot } from './servers'

// A backlog on subscribe (`replay`), and what a gap does to the data (`gap`), on every transport
// against a real @livedata/server on loopback.

const { server, client } = testScope({ WebSocket: NodeWebSocket })

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** A chat room: every message appended. */
function room(c: LiveClient, options: SourceOptions<number[], number> = {}) {
  return c.source<number[], number>('chat', {
    initialData: [],
    reduce: (list, n) => [...list, n],
    ...options,
  })
}

describe.each(['websocket', 'sse', 'long-polling', 'polling'] as const)('over %s', (transport) => {
  it('a late joiner with replay sees the last n messages, then goes on live', async () => {
    const s = await server()
    for (const n of range(1, 10)) s.live.publish('chat', n)
    const chat = room(client({ url: s.url, transports: [transport] }), { replay: 3 })
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.data.length === 3)
    expect(chat.getSnapshot().data).toEqual([8, 9, 10])
    s.live.publish('chat', 11)
    const snap = await waitForSnapshot(chat, (x) => x.data.length === 4)
    expect(snap.data).toEqual([8, 9, 10, 11])
    expect(snap.gap).toBe(false)
  })

  it('without replay, a late joiner sees only what comes after it', async () => {
    const s = await server()
    for (const n of range(1, 10)) s.live.publish('chat', n)
    const chat = room(client({ url: s.url, transports: [transport] }))
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open' && x.lastEventId !== null)
    s.live.publish('chat', 11)
    const snap = await waitForSnapshot(chat, (x) => x.data.length > 0)
    expect(snap.data).toEqual([11])
  })

  it('after a drop, a source with replay resumes from its last id: no backlog twice', async () => {
    const s = await server()
    for (const n of range(1, 10)) s.live.publish('chat', n)
    const chat = room(client({ url: s.url, transports: [transport] }), { replay: 50 })
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.data.length === 10)
    s.dropConnections()
    s.live.publish('chat', 11)
    const snap = await waitForSnapshot(chat, (x) => x.data.length >= 11)
    expect(snap.data).toEqual(range(1, 11))
  })

  it("with gap: 'keep', a gap keeps the data and folds the replay onto it", async () => {
    const s = await server({ history: 5 })
    const chat = room(client({ url: s.url, transports: [transport] }), { gap: 'keep' })
    const stop = chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    s.live.publish('chat', 1)
    await waitForSnapshot(chat, (x) => x.data.length === 1)
    stop()
    await until(() => chat.getSnapshot().status === 'closed')
    for (const n of range(2, 20)) s.live.publish('chat', n)
    chat.subscribe(() => {})
    const snap = await waitForSnapshot(chat, (x) => x.gap && x.data.at(-1) === 20)
    expect(snap.data).toEqual([1, ...range(16, 20)])
  })
})

describe("gap: 'reset' (the default)", () => {
  it('rebuilds the data from initialData over what history still holds', async () => {
    const s = await server({ history: 5 })
    const chat = room(client({ url: s.url, transports: ['sse'] }), { gap: 'reset' })
    const stop = chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    s.live.publish('chat', 1)
    await waitForSnapshot(chat, (x) => x.data.length === 1)
    stop()
    await until(() => chat.getSnapshot().status === 'closed')
    for (const n of range(2, 20)) s.live.publish('chat', n)
    chat.subscribe(() => {})
    const snap = await waitForSnapshot(chat, (x) => x.gap && x.data.at(-1) === 20)
    expect(snap.data).toEqual(range(16, 20))
  })
})

describe('source options', () => {
  it.each([
    [{ replay: 0 }, /replay must be an integer from 1/],
    [{ replay: 2.5 }, /replay must be an integer from 1/],
    [{ gap: 'drop' }, /gap must be 'reset' or 'keep'/],
  ])('rejects %j with ERR_INVALID_OPTIONS', async (options, message) => {
    const s = await server()
    const c = client({ url: s.url })
    expect(() => c.source('chat', options as SourceOptions<unknown>)).toThrow(message)
  })
})
