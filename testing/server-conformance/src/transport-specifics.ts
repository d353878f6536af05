import type { ServerTransport } from '@livedata/server'
import { expect, it } from 'vitest'
import type { SuiteContext } from './context'
import { CONFORMANCE_RULES } from './fixture'
import { IFRAME_NONCE, subscribeUrl } from './http-subscription'
import { subscribe } from './subscribe'
import { messagesOf } from './wire-event'

const { allowedOrigin } = CONFORMANCE_RULES
const FOREIGN = 'http://foreign.example'

/** Registers the checks that belong to one transport alone (headers, ETag, Last-Event-ID…). */
export function describeTransportSpecifics(
  context: SuiteContext,
  transport: ServerTransport,
): void {
  if (transport === 'sse') {
    it('answers with the stream headers, and the Last-Event-ID header wins over ?lastEventId', async () => {
      const channel = context.channel('sse-header')
      const ids = await context.control.publish(
        channel,
        [0, 1, 2, 3].map((data) => ({ data })),
      )
      const sub = context.hold(
        await subscribe(context.url, 'sse', 'plain', [{ channel, after: ids[0] as string }], {
          headers: { 'last-event-id': ids[2] as string },
        }),
      )
      expect(sub.status).toBe(200)
      expect(sub.headers.get('content-type')).toMatch(/^text\/event-stream/)
      expect(sub.headers.get('cache-control')).toContain('no-cache')
      expect(sub.headers.get('x-accel-buffering')).toBe('no')
      const [first] = await sub.events.take(1, 'the first message', messagesOf(channel))
      expect(first?.id).toBe(ids[3])
    })
  }

  if (transport === 'iframe') {
    it('answers a document its page alone may frame (CSP frame-ancestors, nosniff); a foreign origin= is 403', async () => {
      const channel = context.channel('iframe-doc')
      const sub = context.hold(await subscribe(context.url, 'iframe', 'plain', [{ channel }]))
      expect(sub.status).toBe(200)
      const csp = sub.headers.get('content-security-policy') ?? ''
      expect(csp).toContain(`frame-ancestors ${allowedOrigin}`)
      expect(csp).toMatch(/script-src 'nonce-[^']+'/)
      expect(sub.headers.get('x-content-type-options')).toBe('nosniff')
      const url = subscribeUrl(context.url, 'iframe', 'plain', [{ channel }])
      url.searchParams.set('origin', FOREIGN)
      const refused = await fetch(url)
      expect(refused.status).toBe(403)
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('ERR_ORIGIN')
      expect(IFRAME_NONCE).toMatch(/^[A-Za-z0-9_-]{8,64}$/)
    })
  }

  if (transport === 'polling') {
    it('tags an answer with an ETag: If-None-Match is 304 until a message comes', async () => {
      const channel = context.channel('etag')
      const [id] = await context.control.publish(channel, [{ data: 0 }])
      const url = subscribeUrl(context.url, 'polling', 'plain', [{ channel, after: id as string }])
      const first = await fetch(url)
      expect(first.status).toBe(200)
      const etag = first.headers.get('etag')
      expect(etag).toBeTruthy()
      await first.body?.cancel()
      const same = await fetch(url, { headers: { 'if-none-match': etag as string } })
      expect(same.status).toBe(304)
      const [next] = await context.control.publish(channel, [{ data: 1 }])
      const changed = await fetch(url, { headers: { 'if-none-match': etag as string } })
      expect(changed.status).toBe(200)
      const body = (await changed.json()) as { messages: Array<{ id: string }>; cursor: string }
      expect(body.messages.map((m) => m.id)).toEqual([next])
      expect(body.cursor).toBe(next)
    })
  }
}
