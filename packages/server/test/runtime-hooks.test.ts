import { describe, expect, it } from 'vitest'
import { bunHandlers } from '../src/bun'
import { denoHandler } from '../src/deno'
import { createLiveServer, LiveServerError } from '../src/index'

// The adapters' behaviour on their runtimes is checked by the server conformance suite on real
// Bun and Deno (testing/integrations); here, what holds on any runtime.

describe('the runtime adapters', () => {
  it('refuse anything that is not a live server, with a sentence', () => {
    for (const adapter of [bunHandlers, denoHandler]) {
      const call = () => adapter({} as never)
      expect(call).toThrow(LiveServerError)
      expect(call).toThrow(
        'Expected a live server made by createLiveServer() from @livedata/server',
      )
    }
  })

  it('hand every request but an upgrade at the path to live.fetch', async () => {
    const live = createLiveServer({ onError: () => {}, path: '/live' })
    try {
      live.publish('x', 1)
      const handler = denoHandler(live)
      const poll = await handler(new Request('http://localhost/live/x?transport=polling&replay=1'))
      expect(await poll.json()).toMatchObject({ messages: [{ data: 1 }] })
      // An upgrade elsewhere is no WebSocket of ours: live.fetch answers it 404.
      const elsewhere = await handler(
        new Request('http://localhost/other', { headers: { upgrade: 'websocket' } }),
      )
      expect(elsewhere.status).toBe(404)
    } finally {
      await live.close()
    }
  })

  it('refuse an upgrade at the path with a bad key, from a foreign Origin, or when closed, before upgrading', async () => {
    const live = createLiveServer({ onError: () => {}, origins: ['https://app.example'] })
    const handler = denoHandler(live, {
      upgradeWebSocket: () => {
        throw new Error('must not upgrade')
      },
    })
    const upgrade = (origin: string, key = 'dGhlIHNhbXBsZSBub25jZQ==') =>
      new Request('http://localhost/live', {
        headers: { upgrade: 'websocket', origin, 'sec-websocket-key': key },
      })
    // A key that is not 16 bytes in base64 is no upgrade: 400 on every runtime (Deno took it).
    const badKey = await handler(upgrade('https://app.example', 'abc'))
    expect(badKey.status).toBe(400)
    expect(await badKey.json()).toMatchObject({ error: { code: 'ERR_INVALID_REQUEST' } })
    const foreign = await handler(upgrade('https://evil.example'))
    expect(foreign.status).toBe(403)
    expect(await foreign.json()).toMatchObject({ error: { code: 'ERR_ORIGIN' } })
    await live.close()
    const closed = await handler(upgrade('https://app.example'))
    expect(closed.status).toBe(503)
    expect(await closed.json()).toMatchObject({ error: { code: 'ERR_CLOSED' } })
  })

  it('live.fetch names the adapters when asked for a WebSocket', async () => {
    const live = createLiveServer({ onError: () => {} })
    try {
      const answer = await live.fetch(
        new Request('http://localhost/live', { headers: { upgrade: 'websocket' } }),
      )
      expect(answer.status).toBe(404)
      const { error } = (await answer.json()) as { error: { message: string } }
      expect(error.message).toContain('@livedata/server/bun')
      expect(error.message).toContain('@livedata/server/deno')
    } finally {
      await live.close()
    }
  })
})
