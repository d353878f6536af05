import type { MessageContext } from '@livedata/server'
import { describe, expect, it } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import { testScope, waitForSnapshot } from './servers'

// Every send carries an idempotency key, so that one tried again after its answer was lost is
// delivered once; against a real @livedata/server on loopback.

const { server, client } = testScope({ WebSocket: NodeWebSocket })

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe.each(['websocket', 'sse'] as const)('sends over %s', (transport) => {
  it('each carry an idempotency key of their own', async () => {
    const s = await server()
    const seen: Array<[unknown, MessageContext]> = []
    s.live.on('message', (_channel, data, context) => {
      seen.push([data, context])
    })
    const chat = client({ url: s.url, transports: [transport] }).source('chat')
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    await Promise.all([chat.send(1), chat.send(2), chat.send(3)])
    expect(seen.map(([data]) => data)).toEqual([1, 2, 3])
    // Over SSE the sends are POSTs: the key travels as the Idempotency-Key header.
    expect(seen.map(([, context]) => context.transport)).toEqual(
      Array(3).fill(transport === 'websocket' ? 'websocket' : 'http'),
    )
    const keys = seen.map(([, context]) => context.key)
    for (const key of keys) expect(key).toMatch(UUID)
    expect(new Set(keys).size).toBe(3)
  })

  it('a send whose answer is lost (the connection cut after the server took it) is tried again and delivered once', async () => {
    const s = await server()
    const delivered: unknown[] = []
    const keys: unknown[] = []
    s.live.on('message', (_channel, data, context) => {
      delivered.push(data)
      keys.push(context.key)
      // The first time: the server has the send, the client never hears the answer.
      if (delivered.length === 1) context.request.socket.destroy()
    })
    const chat = client({ url: s.url, transports: [transport] }).source('chat')
    chat.subscribe(() => {})
    await waitForSnapshot(chat, (x) => x.status === 'open')
    await expect(chat.send('once')).resolves.toBeUndefined()
    expect(delivered).toEqual(['once'])
    // It did go out twice: the second time the server acknowledged it without delivering it.
    expect(keys).toHaveLength(1)
  })
})

describe('persistSends where IndexedDB and Web Locks are missing (Node)', () => {
  it('sends as without it, in order, with no error', async () => {
    expect((globalThis as { indexedDB?: unknown }).indexedDB).toBeUndefined()
    const s = await server()
    const received: unknown[] = []
    s.live.on('message', (_channel, data) => {
      received.push(data)
    })
    const chat = client({ url: s.url, transports: ['websocket'], persistSends: true }).source(
      'chat',
    )
    chat.subscribe(() => {})
    const sends = [1, 2, 3].map((n) => chat.send(n))
    await waitForSnapshot(chat, (x) => x.status === 'open')
    await Promise.all(sends)
    expect(received).toEqual([1, 2, 3])
    expect(chat.getSnapshot().error).toBeNull()
  })

  it('a non-boolean persistSends is ERR_INVALID_OPTIONS', () => {
    expect(() => client({ url: 'http://127.0.0.1:1/live', persistSends: 1 as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }),
    )
  })
})
