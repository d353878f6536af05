import { describe, expect, it } from 'vitest'
import { type IdempotencyStore, LiveServerError } from '../src/index'
import { testScope } from './helpers'

const { server, socket } = testScope()

/** A store that takes every key and records each call, in order, as `"<call> <key>"`. */
function recordingStore(overrides: Partial<IdempotencyStore> = {}) {
  const calls: string[] = []
  const store: IdempotencyStore = {
    claim: (key) => {
      calls.push(`claim ${key}`)
      return true
    },
    async complete(key) {
      calls.push(`complete ${key}`)
      // Slower than the answer on loopback: the answer must still wait for it.
      await new Promise((resolve) => setTimeout(resolve, 100))
      calls.push(`completed ${key}`)
    },
    release: (key) => {
      calls.push(`release ${key}`)
    },
    ...overrides,
  }
  return { calls, store }
}

const post = (url: string, key: string, data: unknown = key) =>
  fetch(`${url}/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ data }),
  })

describe('the idempotency store is told when a keyed send was delivered (complete)', () => {
  it('a delivered send completes its key before it is acknowledged; a failed one is released, never completed', async () => {
    const { calls, store } = recordingStore()
    const s = await server({ idempotencyStore: store })
    s.live.on('message', (_channel, data) => {
      if (data === 'fail') throw new Error('listener failed')
    })
    const delivered = await post(s.url, 'k1')
    expect(delivered.status).toBe(204)
    expect(calls).toEqual(['claim chat k1', 'complete chat k1', 'completed chat k1'])
    calls.length = 0
    const failed = await post(s.url, 'k2', 'fail')
    expect(failed.status).toBe(500)
    expect(calls).toEqual(['claim chat k2', 'release chat k2'])
  })

  it('over the WebSocket too: the ack comes after complete', async () => {
    const { calls, store } = recordingStore()
    const s = await server({ idempotencyStore: store })
    s.live.on('message', () => {})
    const client = await socket(s)
    client.send({ type: 'send', channel: 'chat', data: 1, ref: 1, key: 'w1' })
    const frames = await client.until((all) => all.some((f) => f.ref === 1))
    expect(frames.find((f) => f.ref === 1)?.type).toBe('ack')
    expect(calls).toEqual(['claim chat w1', 'complete chat w1', 'completed chat w1'])
  })

  it('a complete that fails does not fail the delivered send, and is reported nowhere', async () => {
    const { calls, store } = recordingStore({
      complete: async () => {
        calls.push('complete')
        throw new Error('Redis went away')
      },
    })
    const s = await server({ idempotencyStore: store })
    const received: unknown[] = []
    s.live.on('message', (_channel, data) => void received.push(data))
    expect((await post(s.url, 'k3')).status).toBe(204)
    expect(received).toEqual(['k3'])
    expect(calls).toEqual(['claim chat k3', 'complete'])
    expect(s.reports).toEqual([])
  })

  it("a claim rejected with the store's own ERR_BACKPLANE (in progress elsewhere) answers 503 with its reason, undelivered", async () => {
    const { store } = recordingStore({
      claim: () => {
        throw new LiveServerError(
          'ERR_BACKPLANE',
          'A send with this key is in progress; try again later',
        )
      },
    })
    const s = await server({ idempotencyStore: store })
    const received: unknown[] = []
    s.live.on('message', (_channel, data) => void received.push(data))
    const response = await post(s.url, 'k4')
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({
      error: {
        code: 'ERR_BACKPLANE',
        message: expect.stringContaining('in progress; try again later'),
      },
    })
    expect(received).toEqual([])
  })
})
