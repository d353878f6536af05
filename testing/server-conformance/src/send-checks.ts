import { describe, expect, it } from 'vitest'
import type { SuiteContext } from './context'
import { CONFORMANCE_RULES } from './fixture'

const { path, maxPayload, forbiddenChannel } = CONFORMANCE_RULES

/** Registers the checks of sends: POST, and the WebSocket's `send` frames where offered. */
export function describeSends(context: SuiteContext): void {
  const post = (channel: string, body: string, headers: Record<string, string> = {}) =>
    fetch(new URL(`${path}/${encodeURIComponent(channel)}`, context.url), {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    })
  const errorCode = async (response: Response): Promise<string | undefined> =>
    ((await response.json()) as { error?: { code?: string } }).error?.code

  describe('sends (POST)', () => {
    it('a POST reaches the server’s listeners with its data and event: 204', async () => {
      const channel = context.channel('post')
      const first = await post(channel, JSON.stringify({ data: { text: 'hi' }, event: 'chat' }))
      expect(first.status).toBe(204)
      const second = await post(channel, JSON.stringify({ data: [1, 2] }))
      expect(second.status).toBe(204)
      expect(await context.control.received(channel)).toEqual([
        { data: { text: 'hi' }, event: 'chat', key: null, transport: 'http' },
        { data: [1, 2], event: null, key: null, transport: 'http' },
      ])
    })

    it('an Idempotency-Key sent twice is delivered once (204 both times); on another channel it is another send', async () => {
      const channel = context.channel('key')
      const other = context.channel('key-other')
      const headers = { 'idempotency-key': 'conformance-key-1' }
      const body = JSON.stringify({ data: 'once' })
      expect((await post(channel, body, headers)).status).toBe(204)
      expect((await post(channel, body, headers)).status).toBe(204)
      expect((await post(other, body, headers)).status).toBe(204)
      expect(await context.control.received(channel)).toEqual([
        { data: 'once', event: null, key: 'conformance-key-1', transport: 'http' },
      ])
      expect(await context.control.received(other)).toHaveLength(1)
    })

    it('a POST over maxPayload is 413 ERR_PAYLOAD_TOO_LARGE and not delivered; one within it is', async () => {
      const channel = context.channel('payload')
      const large = await post(channel, JSON.stringify({ data: 'x'.repeat(maxPayload + 1) }))
      expect(large.status).toBe(413)
      expect(await errorCode(large)).toBe('ERR_PAYLOAD_TOO_LARGE')
      const within = await post(channel, JSON.stringify({ data: 'y'.repeat(maxPayload - 100) }))
      expect(within.status).toBe(204)
      const got = await context.control.received(channel)
      expect(got.map((r) => (r.data as string).slice(0, 1))).toEqual(['y'])
    })

    it('a POST to a channel authorize refuses is 403 ERR_FORBIDDEN and not delivered', async () => {
      const refused = await post(forbiddenChannel, JSON.stringify({ data: 'no' }))
      expect(refused.status).toBe(403)
      expect(await errorCode(refused)).toBe('ERR_FORBIDDEN')
      expect(await context.control.received(forbiddenChannel)).toEqual([])
    })
  })
}
