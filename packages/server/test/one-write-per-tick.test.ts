import { once } from 'node:events'
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { batchLimitOf } from '../src/batch-limit'
import { type Started, testScope } from './helpers'

const scope = testScope()

type Frame = { type?: string; id?: string; data?: unknown; channel?: string }

/** A raw `ws` client that keeps each text frame as it came, subscribed to `channel`. */
async function rawFrames(s: Started, query: string, channel: string) {
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}${query}`)
  scope.defer(() => ws.terminate())
  const texts: string[] = []
  const waiters: Array<() => void> = []
  ws.on('message', (data) => {
    texts.push(String(data))
    for (const wake of waiters.splice(0)) wake()
  })
  await once(ws, 'open')
  /** Every frame received, batches opened, in order. */
  const frames = (): Frame[] =>
    texts.flatMap((text) => {
      const parsed = JSON.parse(text) as Frame | Frame[]
      return Array.isArray(parsed) ? parsed : [parsed]
    })
  const until = async (test: () => boolean): Promise<void> => {
    while (!test()) await new Promise<void>((resolve) => waiters.push(resolve))
  }
  ws.send(JSON.stringify({ type: 'subscribe', channel, lastEventId: null }))
  await until(() => frames().some((frame) => frame.type === 'subscribed'))
  texts.length = 0
  const messages = () => frames().filter((frame) => frame.type === 'message')
  return { texts, messages, until }
}

/** Publishes `count` messages in one synchronous burst; returns their ids. */
function burst(
  s: Started,
  channel: string,
  count: number,
  data: (n: number) => unknown = (n) => n,
): string[] {
  const ids: string[] = []
  for (let n = 0; n < count; n++) ids.push(s.live.publish(channel, data(n)) as string)
  return ids
}

describe('messages of one tick, one write', () => {
  it('a WebSocket client that reads batches gets a burst in one frame, ids and order intact', async () => {
    const s = await scope.server()
    const client = await rawFrames(s, '?batch=1048576', 'prices')
    const ids = burst(s, 'prices', 300)
    await client.until(() => client.messages().length === 300)
    expect(client.texts).toHaveLength(1)
    expect(client.texts[0]?.startsWith('[')).toBe(true)
    expect(client.messages().map((frame) => frame.id)).toEqual(ids)
    expect(client.messages().map((frame) => frame.data)).toEqual([...Array(300).keys()])
  })

  it('a WebSocket client that did not ask for batches gets one frame per message', async () => {
    const s = await scope.server()
    const client = await rawFrames(s, '', 'prices')
    const ids = burst(s, 'prices', 50)
    await client.until(() => client.messages().length === 50)
    expect(client.texts).toHaveLength(50)
    expect(client.texts.every((text) => text.startsWith('{'))).toBe(true)
    expect(client.messages().map((frame) => frame.id)).toEqual(ids)
  })

  it('keeps every batch frame within the length the client reads; a longer message goes alone', async () => {
    const s = await scope.server()
    const client = await rawFrames(s, '?batch=2000', 'prices')
    const pad = 'x'.repeat(80)
    const ids = burst(s, 'prices', 100, (n) => (n === 50 ? 'y'.repeat(3000) : `${n}${pad}`))
    await client.until(() => client.messages().length === 100)
    expect(client.messages().map((frame) => frame.id)).toEqual(ids)
    const batches = client.texts.filter((text) => text.startsWith('['))
    expect(batches.length).toBeGreaterThan(3)
    for (const text of batches) expect(text.length).toBeLessThanOrEqual(2000)
    // The 3,000-character message could not fit any batch: it came as a frame of its own.
    const long = client.texts.find((text) => text.includes('yyy'))
    expect(long?.startsWith('{')).toBe(true)
    expect((JSON.parse(long as string) as Frame).id).toBe(ids[50])
  })

  it('reads the batch parameter as digits only, capped at 1 MiB', () => {
    expect(batchLimitOf('/live?batch=65536')).toBe(65536)
    expect(batchLimitOf('/live?x=1&batch=10&y=2')).toBe(10)
    expect(batchLimitOf('/live?batch=999999999999')).toBe(1024 * 1024)
    expect(batchLimitOf('/live?batch=-5')).toBe(0)
    expect(batchLimitOf('/live?batch=1e9')).toBe(0)
    expect(batchLimitOf('/live?notbatch=5')).toBe(0)
    expect(batchLimitOf('/live')).toBe(0)
    expect(batchLimitOf(undefined)).toBe(0)
  })

  it('an SSE stream gets a burst in one write: one chunk of the chunked body', async () => {
    const s = await scope.server()
    const socket = connect(Number(new URL(s.origin).port), '127.0.0.1')
    scope.defer(() => void socket.destroy())
    await once(socket, 'connect')
    let received = ''
    const waiters: Array<() => void> = []
    socket.on('data', (chunk) => {
      received += chunk
      for (const wake of waiters.splice(0)) wake()
    })
    const until = async (test: () => boolean): Promise<void> => {
      while (!test()) await new Promise<void>((resolve) => waiters.push(resolve))
    }
    socket.write(`GET ${new URL(s.url).pathname}/prices HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
    await until(() => received.includes('event: livedata.cursor'))
    const opened = received.length
    const ids = burst(s, 'prices', 200)
    await until(() => received.includes(`id: ${ids.at(-1)}\n`))
    // Each write of a chunked answer is one chunk: `<hex size>\r\n<bytes>\r\n`.
    const body = received.slice(opened)
    const chunks = body.match(/\r\n[0-9a-f]+\r\n/g) ?? []
    const sizes = [...body.matchAll(/(?:^|\r\n)([0-9a-f]+)\r\nid: /g)]
    expect(sizes).toHaveLength(1)
    expect(chunks.length).toBeLessThanOrEqual(1)
    expect(body.match(/^id: /gm)).toHaveLength(200)
  })

  it.each(['', '?batch=1048576'])(
    'a burst of 5,000 messages of 1 KB in one tick reaches a WebSocket client whole, not cut as slow (%s)',
    async (query) => {
      const s = await scope.server()
      const client = await rawFrames(s, query, 'prices')
      const ids = burst(s, 'prices', 5000, (n) => `${n}`.padEnd(1000, '.'))
      await client.until(() => client.messages().length === 5000)
      expect(client.messages().map((frame) => frame.id)).toEqual(ids)
      expect(s.reports.map((report) => report.error.code)).not.toContain('ERR_SLOW_CLIENT')
    },
  )

  it('a message published just before live.close() still reaches a WebSocket client', async () => {
    const s = await scope.server()
    const client = await rawFrames(s, '?batch=65536', 'prices')
    const id = s.live.publish('prices', 'last words') as string
    await s.live.close()
    await client.until(() => client.messages().length === 1)
    expect(client.messages()[0]?.id).toBe(id)
  })

  it('an SSE stream with a small maxBufferedBytes still gets every message (no drain to wait for)', async () => {
    const s = await scope.server({ maxBufferedBytes: 4096 })
    const controller = new AbortController()
    scope.defer(() => controller.abort())
    const response = await fetch(`${s.url}/prices`, { signal: controller.signal })
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let text = ''
    while (!text.includes('livedata.cursor')) text += decoder.decode((await reader.read()).value)
    const ids = burst(s, 'prices', 20, (n) => `${n}`.padEnd(1000, '.'))
    while (!text.includes(`id: ${ids.at(-1)}\n`)) {
      const { value, done } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
    const after = text.slice(text.indexOf('livedata.cursor'))
    expect(after.match(/^id: .*$/gm)?.map((line) => line.slice(4))).toEqual(ids)
  })

  /** A multiplexed SSE stream of `channel` (`query` added), read until `done` says so. */
  async function multiStream(s: Started, query: string, channel: string) {
    const controller = new AbortController()
    scope.defer(() => controller.abort())
    const response = await fetch(`${s.url}?transport=sse&c=${channel}${query}`, {
      signal: controller.signal,
    })
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let text = ''
    const until = async (done: (text: string) => boolean): Promise<string> => {
      while (!done(text)) {
        const { value, done: ended } = await reader.read()
        if (ended) throw new Error(`the stream ended; got ${text.slice(-300)}`)
        text += decoder.decode(value, { stream: true })
      }
      return text
    }
    await until((t) => t.includes('!cursor'))
    const opened = text.length
    return { until, after: () => text.slice(opened) }
  }

  /** The messages of `!batch` events and plain events of a multiplexed stream, in order. */
  function messagesOf(text: string): Array<{ id: string; data: unknown }> {
    const messages: Array<{ id: string; data: unknown }> = []
    for (const block of text.split('\n\n')) {
      const event = /^event: (.*)$/m.exec(block)?.[1]
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (data === undefined) continue
      if (event === '!batch') {
        for (const frame of JSON.parse(data) as Frame[]) {
          messages.push({ id: frame.id as string, data: frame.data })
        }
      } else if (event === 'prices') {
        messages.push({ id: /^id: (.*)$/m.exec(block)?.[1] as string, data: JSON.parse(data) })
      }
    }
    return messages
  }

  it('a multiplexed SSE client that reads batches gets a burst as one !batch event, ids and order intact', async () => {
    const s = await scope.server()
    const stream = await multiStream(s, '&batch=1048576', 'prices')
    const ids = burst(s, 'prices', 300)
    await stream.until((t) => t.includes(ids.at(-1) as string))
    const text = stream.after()
    expect(text.match(/^event: !batch$/gm)).toHaveLength(1)
    expect(text).not.toMatch(/^event: prices$/m)
    expect(messagesOf(text)).toEqual(ids.map((id, n) => ({ id, data: n })))
  })

  it('without batch a multiplexed SSE client gets one event per message; a message too long for a batch goes alone', async () => {
    const s = await scope.server()
    const plain = await multiStream(s, '', 'prices')
    const small = await multiStream(s, '&batch=2000', 'prices')
    const ids = burst(s, 'prices', 30, (n) => (n === 10 ? 'y'.repeat(3000) : n))
    const last = (t: string) => t.includes(ids.at(-1) as string)
    await plain.until(last)
    await small.until(last)
    expect(plain.after().match(/^event: prices$/gm)).toHaveLength(30)
    expect(plain.after()).not.toMatch(/!batch/)
    const expected = ids.map((id, n) => ({ id, data: n === 10 ? 'y'.repeat(3000) : n }))
    expect(messagesOf(plain.after())).toEqual(expected)
    // The long one came as its own event, between two batches, in its place.
    expect(small.after().match(/^event: prices$/gm)).toHaveLength(1)
    expect(small.after().match(/^event: !batch$/gm)).toHaveLength(2)
    for (const line of small.after().match(/^data: \[.*$/gm) ?? []) {
      expect(line.length).toBeLessThanOrEqual(2000)
    }
    expect(messagesOf(small.after())).toEqual(expected)
  })
})
