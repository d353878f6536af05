import type { ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { startHttpServer, testScope, waitForSnapshot } from './servers'

// @livedata/core against a plain text/event-stream endpoint written with bare node:http:
// no channel protocol, only the standard.

const scope = testScope()
/** A bare SSE endpoint; `write` sends raw text to every open stream. */
async function plainEndpoint(greeting = '') {
  const streams = new Set<ServerResponse>()
  const server = await startHttpServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/event-stream' })
    response.write(greeting)
    streams.add(response)
    response.on('close', () => streams.delete(response))
  })
  scope.defer(() => server.close())
  const client = scope.client({ reconnect: { minDelay: 10, maxDelay: 20 } })
  return {
    server,
    client,
    url: `${server.origin}/stream`,
    write(text: string) {
      for (const stream of streams) stream.write(text)
    },
  }
}

describe('core against a plain SSE endpoint', () => {
  it('delivers unnamed events as text and ignores comments', async () => {
    const plain = await plainEndpoint(': welcome\n\n')
    const source = plain.client.source<string>('ticker', { url: plain.url })
    const seen: string[] = []
    source.subscribe(() => {
      const { data } = source.getSnapshot()
      if (data !== undefined && seen.at(-1) !== data) seen.push(data)
    })
    await waitForSnapshot(source, (x) => x.status === 'open')
    plain.write(': heartbeat\n\ndata: one\n\n')
    await waitForSnapshot(source, (x) => x.data === 'one')
    plain.write('event: other\ndata: ignored\n\n: note\ndata: two\n\n')
    const snap = await waitForSnapshot(source, (x) => x.data === 'two')
    expect(seen).toEqual(['one', 'two'])
    expect(snap).toMatchObject({ transport: 'sse', status: 'open', error: null })
  })

  it('delivers only the named event it asks for, with its lastEventId', async () => {
    const plain = await plainEndpoint()
    const slides = plain.client.source<string>('slides', { url: plain.url, event: 'slide' })
    slides.subscribe(() => {})
    await waitForSnapshot(slides, (x) => x.status === 'open')
    plain.write('data: unnamed\n\nevent: slide\nid: s1\ndata: first slide\n\n')
    const snap = await waitForSnapshot(slides, (x) => x.data !== undefined)
    expect(snap).toMatchObject({ data: 'first slide', lastEventId: 's1' })
  })

  it('resumes with the Last-Event-ID header after the connection drops', async () => {
    const plain = await plainEndpoint()
    const source = plain.client.source<string>('ticker', { url: plain.url })
    source.subscribe(() => {})
    await waitForSnapshot(source, (x) => x.status === 'open')
    plain.write('id: 41\ndata: a\n\n')
    await waitForSnapshot(source, (x) => x.lastEventId === '41')
    plain.server.dropConnections()
    await plain.server.waitForRequests(2)
    expect(plain.server.requests[0]?.headers['last-event-id']).toBeUndefined()
    expect(plain.server.requests[1]?.headers['last-event-id']).toBe('41')
  })

  it('turns invalid JSON into ERR_PARSE and keeps the stream going', async () => {
    const plain = await plainEndpoint()
    const source = plain.client.source<{ n: number }>('json', { url: plain.url, parse: JSON.parse })
    source.subscribe(() => {})
    await waitForSnapshot(source, (x) => x.status === 'open')
    plain.write('data: {"n": 1}\n\ndata: {not json\n\n')
    const failed = await waitForSnapshot(source, (x) => x.error !== null)
    expect(failed.error?.code).toBe('ERR_PARSE')
    expect(failed.data).toEqual({ n: 1 })
    plain.write('data: {"n": 2}\n\n')
    const snap = await waitForSnapshot(source, (x) => x.data?.n === 2)
    expect(snap).toMatchObject({ status: 'open', error: null })
  })

  it('turns a schema failure into ERR_SCHEMA and skips the message', async () => {
    const plain = await plainEndpoint()
    const isNumber = (value: unknown): number => {
      if (typeof value !== 'number') throw new TypeError(`expected a number, got ${typeof value}`)
      return value
    }
    const source = plain.client.source<number>('n', {
      url: plain.url,
      parse: JSON.parse,
      schema: isNumber,
    })
    source.subscribe(() => {})
    await waitForSnapshot(source, (x) => x.status === 'open')
    plain.write('data: 1\n\ndata: "two"\n\n')
    const failed = await waitForSnapshot(source, (x) => x.error !== null)
    expect(failed.error?.code).toBe('ERR_SCHEMA')
    expect(failed.error?.message).toContain('expected a number, got string')
    expect(failed.data).toBe(1)
  })

  it('accepts a Standard Schema validator', async () => {
    const plain = await plainEndpoint()
    const positive = {
      '~standard': {
        version: 1 as const,
        validate: (value: unknown) =>
          typeof value === 'number' && value > 0
            ? { value }
            : { issues: [{ message: 'must be a positive number' }] },
      },
    }
    const source = plain.client.source<number>('p', {
      url: plain.url,
      parse: JSON.parse,
      schema: positive,
    })
    source.subscribe(() => {})
    await waitForSnapshot(source, (x) => x.status === 'open')
    plain.write('data: -1\n\n')
    const failed = await waitForSnapshot(source, (x) => x.error !== null)
    expect(failed.error).toMatchObject({ code: 'ERR_SCHEMA' })
    expect(failed.error?.message).toContain('must be a positive number')
    plain.write('data: 5\n\n')
    await waitForSnapshot(source, (x) => x.data === 5)
  })

  it('a send on a plain endpoint rejects with a sentence saying why', async () => {
    const plain = await plainEndpoint()
    const source = plain.client.source('ticker', { url: plain.url })
    await expect(source.send('x')).rejects.toThrow(/a plain endpoint takes no POST/)
  })
})
