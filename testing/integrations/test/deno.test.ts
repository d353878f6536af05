import { describeServerConformance } from '@livedata/server-conformance'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RuntimeProcess, startRuntime } from './helpers/runtime-process'

// @livedata/server on Deno 2.9 (from npm), in a Deno process started from fixtures/deno.ts with
// the permissions it needs and no more, judged from Node by the server conformance suite.

const HTTP = ['sse', 'long-polling', 'polling', 'iframe'] as const
const DENO_RUN = [
  'run',
  '--allow-net=127.0.0.1',
  '--allow-env=WS_NO_BUFFER_UTIL,WS_NO_UTF_8_VALIDATE',
  '--no-prompt',
  'fixtures/deno.ts',
]

describeServerConformance(
  'Deno.serve(live.fetch)',
  async () => {
    const deno = await startRuntime('deno', [...DENO_RUN, '--fetch'])
    return { url: deno.origin, close: deno.stop }
  },
  { transports: HTTP },
)

describeServerConformance(
  'Deno.serve(denoHandler(live))',
  async () => {
    const deno = await startRuntime('deno', DENO_RUN)
    return { url: deno.origin, close: deno.stop }
  },
  { transports: ['websocket', ...HTTP] },
)

describe('Deno.serve(live.fetch), clients that leave', () => {
  let deno: RuntimeProcess
  beforeAll(async () => {
    deno = await startRuntime('deno', [...DENO_RUN, '--fetch'])
  })
  afterAll(() => deno?.stop())

  const control = async (path: string, body?: unknown): Promise<Response> => {
    try {
      return await fetch(`${deno.origin}/control/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        ...(body !== undefined && {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      })
    } catch (error) {
      // Refused: the server died. Its last words arrive with its exit.
      await deno.closed
      throw new Error(`the Deno server is gone (${String(error)}); its output:\n${deno.output()}`)
    }
  }
  const held = async (): Promise<number> =>
    ((await (await control('stats')).json()) as { connections: number }).connections

  // Deno tells the handler that its client left (request.signal) before it cancels the body
  // stream, and cancels it from inside the next enqueue: an answer written in between must not
  // throw out of the server.
  it('keep the server up when a message answers a long poll whose client just left', async () => {
    for (let n = 0; n < 40; n++) {
      const channel = `left-${n}`
      const leave = new AbortController()
      const poll = fetch(`${deno.origin}/live/${channel}?transport=long-polling&lastEventId=0-0`, {
        signal: leave.signal,
      }).catch(() => null)
      while ((await held()) === 0) await new Promise((resolve) => setTimeout(resolve, 2))
      leave.abort()
      await poll
      expect((await control('publish', { channel, data: n })).status).toBe(200)
      while ((await held()) !== 0) await new Promise((resolve) => setTimeout(resolve, 2))
    }
  })
})
