import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRuntime } from './helpers/runtime-process'

// Bun cuts a request idle for `idleTimeout` seconds (10 by default): a held long poll and an SSE
// stream between messages are idle by design. bunHandlers lifts the timeout from live requests.
// The fixture sets it to 1 s and publishes 9 s after it listens (Bun's idle clock is coarse).

let bun: Awaited<ReturnType<typeof startRuntime>>
beforeAll(async () => {
  bun = await startRuntime('bun', ['fixtures/bun-idle.ts'])
})
afterAll(() => bun?.stop())

describe("Bun's idle timeout and bunHandlers", () => {
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
