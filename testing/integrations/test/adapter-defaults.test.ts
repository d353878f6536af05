import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type RuntimeProcess, startRuntime } from './helpers/runtime-process'

// bunHandlers and denoHandler with the live server's defaults (no allowedHosts), as the guides'
// few lines give them: the Host check (the DNS-rebinding defence) holds for a client on this
// machine as on node:http; a malformed upgrade is a 400; and on Bun, held long polls and quiet
// streams outlive Bun's idle timeout (the fixture sets 1 s and publishes 9 s after it listens).

const DENO_RUN = [
  'run',
  '--allow-net=127.0.0.1',
  '--allow-env=WS_NO_BUFFER_UTIL,WS_NO_UTF_8_VALIDATE',
  '--no-prompt',
  'fixtures/deno-defaults.ts',
]

/** A GET with the headers given (Host included, which fetch cannot set): status and body. */
function get(origin: string, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = httpRequest(`${origin}${path}`, { headers }, (response) => {
      let body = ''
      response.on('data', (chunk) => {
        body += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    request.on('error', reject)
    request.end()
  })
}

/** An upgrade with a foreign Host: the status it was refused with, or 101. */
function upgradeStatus(origin: string, host: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${origin.replace('http', 'ws')}/live`, { headers: { host } })
    socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
    socket.on('open', () => {
      socket.close()
      resolve(101)
    })
    socket.on('error', () => {})
  })
}

for (const runtime of ['bun', 'deno'] as const) {
  describe(`${runtime === 'bun' ? 'bunHandlers' : 'denoHandler'} with the defaults`, () => {
    let server: RuntimeProcess
    beforeAll(async () => {
      server =
        runtime === 'bun'
          ? await startRuntime('bun', ['fixtures/bun-defaults.ts'])
          : await startRuntime('deno', DENO_RUN)
    })
    afterAll(() => server?.stop())

    it('refuses a foreign Host from a client on this machine: 403 ERR_HOST, the upgrade too', async () => {
      const port = new URL(server.origin).port
      const evil = `evil.example:${port}`
      const poll = await get(server.origin, '/live/x?transport=polling', { host: evil })
      expect(poll.status).toBe(403)
      expect(JSON.parse(poll.body)).toMatchObject({ error: { code: 'ERR_HOST' } })
      expect(await upgradeStatus(server.origin, evil)).toBe(403)
      // Its own name passes.
      const own = await get(server.origin, '/live/x?transport=polling', {
        host: `localhost:${port}`,
      })
      expect(own.status).toBe(200)
    })

    it('answers a malformed upgrade (no Sec-WebSocket-Key) 400 ERR_INVALID_REQUEST', async () => {
      const answer = await get(server.origin, '/live', {
        upgrade: 'websocket',
        connection: 'Upgrade',
      })
      expect(answer.status).toBe(400)
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'ERR_INVALID_REQUEST' } })
    })
  })
}

describe("Bun's idle timeout and bunHandlers", () => {
  let bun: RuntimeProcess
  beforeAll(async () => {
    bun = await startRuntime('bun', ['fixtures/bun-defaults.ts'])
  })
  afterAll(() => bun?.stop())

  it('a long poll held past it is answered with the message, and an SSE stream idle past it gets it', {
    timeout: 20_000,
  }, async () => {
    const poll = fetch(`${bun.origin}/live/x?transport=long-polling&lastEventId=0-0`).then(
      async (response) => ({ status: response.status, body: await response.text() }),
    )
    const response = await fetch(`${bun.origin}/live/x?transport=sse`)
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let text = ''
    while (!text.includes('"late"')) {
      const { done, value } = await reader.read()
      if (done) throw new Error(`the stream ended before the message: ${JSON.stringify(text)}`)
      text += decoder.decode(value, { stream: true })
    }
    await reader.cancel()
    expect(text).toContain('data: "late"')
    const answered = await poll
    expect(answered.status).toBe(200)
    expect(JSON.parse(answered.body)).toMatchObject({ messages: [{ data: 'late' }] })
  })
})

describe("Bun's idle timeout stays bounded under bunHandlers", () => {
  let bun: RuntimeProcess
  beforeAll(async () => {
    bun = await startRuntime('bun', ['fixtures/bun-defaults.ts', '--quick'])
  })
  afterAll(() => bun?.stop())

  it('a send whose body never comes is answered 408 and its connection closed', {
    timeout: 40_000,
  }, async () => {
    const { port } = new URL(bun.origin)
    const socket = connect(Number(port), '127.0.0.1')
    let answer = ''
    socket.on('data', (chunk) => {
      answer += chunk
    })
    socket.on('error', () => {})
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.write(
      'POST /live/x HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n',
    )
    // bodyTimeout (1 s) answers, with Connection: close: the rest of the body is never read.
    await closed
    expect(answer).toMatch(/^HTTP\/1\.1 408/)
  })

  it('an SSE stream quiet past the raised timeout is cut: raised, not lifted', {
    timeout: 40_000,
  }, async () => {
    const started = Date.now()
    const response = await fetch(`${bun.origin}/live/quiet?transport=sse`)
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    // No message, no heartbeat: only Bun's idle timeout (11 s here, on its coarse clock) ends it.
    for (;;) {
      const read = await reader.read().catch(() => ({ done: true }))
      if (read.done) break
    }
    expect(Date.now() - started).toBeGreaterThan(5000)
  })
})
