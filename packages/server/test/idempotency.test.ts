import { describe, expect, it } from 'vitest'
import { createMemoryIdempotencyStore, isIdempotencyKey } from '../src/index'
import { type Frame, testScope } from './helpers'

const { server, socket } = testScope()

/** A POST send with an optional Idempotency-Key, answered by the server. */
async function post(url: string, data: unknown, key?: string, channel = 'chat') {
  return fetch(`${url}/${channel}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    body: JSON.stringify({ data }),
  })
}

/** The answers (ack or error) to the send frames with these refs, once all have come. */
const answersTo = (frames: Frame[], refs: number[]) =>
  refs.map((ref) => frames.find((f) => f.ref === ref && (f.type === 'ack' || f.type === 'error')))

describe('idempotency keys over the WebSocket', () => {
  it('a send repeated with the same key is acknowledged again but delivered once', async () => {
    const s = await server()
    const received: unknown[] = []
    s.live.on('message', (_channel, data) => {
      received.push(data)
    })
    const client = await socket(s)
    client.send({ type: 'send', channel: 'chat', data: 'hi', ref: 1, key: 'k-1' })
    client.send({ type: 'send', channel: 'chat', data: 'hi', ref: 2, key: 'k-1' })
    client.send({ type: 'send', channel: 'chat', data: 'other', ref: 3, key: 'k-2' })
    const frames = await client.until((f) => answersTo(f, [1, 2, 3]).every(Boolean))
    expect(answersTo(frames, [1, 2, 3]).map((f) => f?.type)).toEqual(['ack', 'ack', 'ack'])
    expect(received).toEqual(['hi', 'other'])
  })

  it('the same key on another channel is another send', async () => {
    const s = await server()
    const received: string[] = []
    s.live.on('message', (channel) => {
      received.push(channel)
    })
    const client = await socket(s)
    client.send({ type: 'send', channel: 'a', data: 1, ref: 1, key: 'same' })
    client.send({ type: 'send', channel: 'b', data: 1, ref: 2, key: 'same' })
    await client.until((f) => answersTo(f, [1, 2]).every(Boolean))
    expect(received).toEqual(['a', 'b'])
  })

  it('a repeat arriving while the first is with an async listener waits for it and is delivered once', async () => {
    const s = await server()
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    let calls = 0
    s.live.on('message', async () => {
      calls++
      await held
    })
    const first = await socket(s)
    const second = await socket(s)
    first.send({ type: 'send', channel: 'chat', data: 1, ref: 1, key: 'slow' })
    // The second socket's repeat must not be acknowledged before the first send was taken.
    await new Promise<void>((resolve) => {
      const check = () => (calls === 1 ? resolve() : setImmediate(check))
      check()
    })
    second.send({ type: 'send', channel: 'chat', data: 1, ref: 7, key: 'slow' })
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(second.frames.filter((f) => f.type === 'ack')).toEqual([])
    release()
    await first.until((f) => answersTo(f, [1]).every(Boolean))
    const frames = await second.until((f) => answersTo(f, [7]).every(Boolean))
    expect(answersTo(frames, [7])[0]?.type).toBe('ack')
    expect(calls).toBe(1)
  })

  it('a send whose listener failed is delivered again when retried with its key', async () => {
    const s = await server()
    let calls = 0
    s.live.on('message', () => {
      calls++
      if (calls === 1) throw new Error('database down')
    })
    const client = await socket(s)
    client.send({ type: 'send', channel: 'chat', data: 1, ref: 1, key: 'retry-me' })
    await client.until((f) => answersTo(f, [1]).every(Boolean))
    client.send({ type: 'send', channel: 'chat', data: 1, ref: 2, key: 'retry-me' })
    const frames = await client.until((f) => answersTo(f, [2]).every(Boolean))
    expect(answersTo(frames, [1, 2]).map((f) => f?.type)).toEqual(['error', 'ack'])
    expect(calls).toBe(2)
  })

  it('a malformed key is ERR_INVALID_KEY with the send ref, delivered nowhere, and the socket goes on', async () => {
    const s = await server()
    const received: unknown[] = []
    s.live.on('message', (_channel, data) => {
      received.push(data)
    })
    const client = await socket(s)
    const hostile = ['', 'a b', 'x'.repeat(129), 'é', 'k\n', 42, null, { $gt: '' }, ['k']]
    hostile.forEach((key, i) => {
      client.send({ type: 'send', channel: 'chat', data: i, ref: i + 1, key })
    })
    client.send({ type: 'send', channel: 'chat', data: 'ok', ref: 100, key: 'x'.repeat(128) })
    const refs = hostile.map((_, i) => i + 1)
    const frames = await client.until((f) => answersTo(f, [...refs, 100]).every(Boolean))
    for (const answer of answersTo(frames, refs)) {
      expect(answer).toMatchObject({ type: 'error', code: 'ERR_INVALID_KEY' })
    }
    expect(answersTo(frames, [100])[0]?.type).toBe('ack')
    expect(received).toEqual(['ok'])
    expect(s.reports.map((r) => r.error.code)).toEqual(hostile.map(() => 'ERR_INVALID_KEY'))
  })

  it('with idempotencyWindow: 0 keys are not remembered: a repeat is delivered', async () => {
    const s = await server({ idempotencyWindow: 0 })
    let calls = 0
    s.live.on('message', () => {
      calls++
    })
    const client = await socket(s)
    client.send({ type: 'send', channel: 'chat', data: 1, ref: 1, key: 'k' })
    client.send({ type: 'send', channel: 'chat', data: 1, ref: 2, key: 'k' })
    await client.until((f) => answersTo(f, [1, 2]).every(Boolean))
    expect(calls).toBe(2)
  })
})

describe('idempotency keys over HTTP POST', () => {
  it('a POST repeated with the same Idempotency-Key is answered 204 again but delivered once', async () => {
    const s = await server()
    const received: unknown[] = []
    s.live.on('message', (_channel, data, context) => {
      received.push([data, context.key])
    })
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await post(s.url, 'hi', 'order-17')).status)
    statuses.push((await post(s.url, 'no key')).status)
    statuses.push((await post(s.url, 'no key')).status)
    expect(statuses).toEqual([204, 204, 204, 204, 204])
    expect(received).toEqual([
      ['hi', 'order-17'],
      ['no key', undefined],
      ['no key', undefined],
    ])
  })

  it('a key taken over the WebSocket is a repeat over HTTP too', async () => {
    const s = await server()
    let calls = 0
    s.live.on('message', () => {
      calls++
    })
    const client = await socket(s)
    client.send({ type: 'send', channel: 'chat', data: 1, ref: 1, key: 'both-ways' })
    await client.until((f) => answersTo(f, [1]).every(Boolean))
    expect((await post(s.url, 1, 'both-ways')).status).toBe(204)
    expect(calls).toBe(1)
  })

  it('a malformed Idempotency-Key is 400 ERR_INVALID_KEY and is not delivered', async () => {
    const s = await server()
    let calls = 0
    s.live.on('message', () => {
      calls++
    })
    for (const key of ['a b', 'x'.repeat(129), 'k,k', '%00']) {
      const response = await post(s.url, 1, key)
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({ error: { code: 'ERR_INVALID_KEY' } })
    }
    expect(calls).toBe(0)
  })

  it('a CORS preflight allows the Idempotency-Key header', async () => {
    const s = await server({ origins: ['https://app.example'] })
    const response = await fetch(`${s.url}/chat`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
      },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
      'idempotency-key',
    )
  })
})

describe('the in-memory idempotency store', () => {
  it('forgets a key once the window has passed (clock injected)', async () => {
    let now = 1_000_000
    const store = createMemoryIdempotencyStore({ window: 600_000, maxKeys: 10, now: () => now })
    const s = await server({ idempotencyStore: store })
    let calls = 0
    s.live.on('message', () => {
      calls++
    })
    expect((await post(s.url, 1, 'k')).status).toBe(204)
    now += 599_999
    expect((await post(s.url, 1, 'k')).status).toBe(204)
    expect(calls).toBe(1)
    now += 1
    expect((await post(s.url, 1, 'k')).status).toBe(204)
    expect(calls).toBe(2)
  })

  it('holds at most maxKeys, forgetting the oldest first', () => {
    const store = createMemoryIdempotencyStore({ window: 600_000, maxKeys: 3, now: () => 0 })
    for (const key of ['a', 'b', 'c', 'd']) expect(store.claim(key)).toBe(true)
    // 'a' was the oldest: forgotten to make room for 'd'; the others are still repeats.
    expect(store.claim('b')).toBe(false)
    expect(store.claim('c')).toBe(false)
    expect(store.claim('d')).toBe(false)
    expect(store.claim('a')).toBe(true)
  })

  it('200,000 fresh keys from one client leave only the newest maxKeys remembered', async () => {
    let now = 0
    const store = createMemoryIdempotencyStore({
      window: 600_000,
      maxKeys: 1000,
      now: () => now,
    })
    for (let i = 0; i < 200_000; i++) store.claim(`chat k${i}`)
    // The newest 1,000 are repeats; the 1,001st newest was forgotten.
    expect(store.claim('chat k199999')).toBe(false)
    expect(store.claim('chat k199000')).toBe(false)
    expect(store.claim('chat k198999')).toBe(true)
    now += 600_000
    expect(store.claim('chat k199999')).toBe(true)
  })

  it('release forgets a key at once', () => {
    const store = createMemoryIdempotencyStore({ window: 600_000, maxKeys: 10 })
    expect(store.claim('k')).toBe(true)
    store.release('k')
    expect(store.claim('k')).toBe(true)
  })

  it('isIdempotencyKey takes 1 to 128 of A-Z a-z 0-9 _ - only', () => {
    expect(isIdempotencyKey(crypto.randomUUID())).toBe(true)
    expect(isIdempotencyKey('x'.repeat(128))).toBe(true)
    for (const bad of ['', 'x'.repeat(129), 'a.b', 'a b', 'ключ', 1, null, undefined]) {
      expect(isIdempotencyKey(bad)).toBe(false)
    }
  })
})
