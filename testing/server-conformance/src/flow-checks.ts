import { describe, expect, it } from 'vitest'
import type { SuiteContext } from './context'
import { CONFORMANCE_RULES } from './fixture'
import { subscribeUrl } from './http-subscription'
import { createIframeParser } from './iframe-reader'
import { GUARD_MS } from './queue'
import { openSocket, subscribeSocket } from './socket'
import { createSseParser } from './sse-reader'
import { messagesOf } from './wire-event'

// Big enough that a few thousand fill any socket buffer, within maxPayload.
const PAYLOAD = 'x'.repeat(CONFORMANCE_RULES.maxPayload - 200)
const BATCH = 200
const MOST = 20_000
/**
 * The most a server may have published for a consumer that stopped reading before it cuts it,
 * in bytes: what it holds unsent (`maxBufferedBytes`), a history of backlog, and slack for what
 * the kernel's socket buffers and the runtime's stream take on loopback (a few MiB).
 */
const CUT_BOUND =
  CONFORMANCE_RULES.maxBufferedBytes +
  CONFORMANCE_RULES.history * CONFORMANCE_RULES.maxPayload +
  12 * 1024 * 1024
// The iframe document ends after about 1 MiB (docs/protocol.md).
const IFRAME_END = 1024 * 1024

/** Reads `response`'s body to its end; resolves with how it ended and the bytes read. */
async function readAll(
  response: Response,
  feed: (chunk: string) => void,
): Promise<{ ended: 'end' | 'failure'; bytes: number }> {
  const decoder = new TextDecoder()
  let bytes = 0
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength
      feed(decoder.decode(chunk, { stream: true }))
    }
    return { ended: 'end', bytes }
  } catch {
    return { ended: 'failure', bytes }
  }
}

/** Registers the checks of flow control: a stream is never an unbounded buffer. */
export function describeFlowControl(context: SuiteContext): void {
  const offered = (transport: 'sse' | 'iframe'): boolean => context.transports.includes(transport)
  const open = async (
    transport: 'sse' | 'iframe',
    channel: string,
  ): Promise<{ response: Response; abort: AbortController }> => {
    const abort = new AbortController()
    context.hold({ cut: () => abort.abort() })
    const url = subscribeUrl(context.url, transport, 'plain', [{ channel }])
    const response = await fetch(url, { signal: abort.signal })
    expect(response.status).toBe(200)
    return { response, abort }
  }

  // Reports of ERR_SLOW_CLIENT so far: a check waits for one more than it found.
  const slowReports = async (): Promise<number> =>
    (await context.control.errors()).filter((e) => e.code === 'ERR_SLOW_CLIENT').length

  describe('flow control', () => {
    if (offered('sse')) {
      it('cuts an SSE stream whose consumer stops reading once it is far behind (ERR_SLOW_CLIENT); what came is in order', async () => {
        const channel = context.channel('slow')
        const before = await slowReports()
        const { response, abort } = await open('sse', channel)
        // The body is not read: publish until the server gives up on the stream.
        const deadline = Date.now() + 3 * GUARD_MS
        let published: string[] = []
        while ((await slowReports()) <= before) {
          if (published.length >= MOST || Date.now() > deadline) {
            throw new Error(`${published.length} messages published and the stream was not cut`)
          }
          const batch = Array.from({ length: BATCH }, () => ({ data: PAYLOAD }))
          published = published.concat(await context.control.publish(channel, batch))
        }
        // Now read: a prefix of what was published, in order, then the end.
        const ids: string[] = []
        const guard = setTimeout(() => abort.abort(), GUARD_MS)
        const { bytes } = await readAll(
          response,
          createSseParser((block) => {
            if (block.id !== undefined && block.event !== 'livedata.cursor') ids.push(block.id)
          }),
        )
        clearTimeout(guard)
        expect(ids.length).toBeGreaterThan(0)
        expect(ids.length).toBeLessThan(published.length)
        expect(ids).toEqual(published.slice(0, ids.length))
        // Far less than was published: the server did not keep it all for this client.
        expect(bytes).toBeLessThan(published.length * PAYLOAD.length)
        // And it cut the stream within a bound: it held no more than the limits allow.
        expect(published.length * PAYLOAD.length).toBeLessThan(CUT_BOUND)
      }, 30_000)
    }

    if (context.transports.includes('websocket')) {
      it('closes a WebSocket whose client stops reading once it is far behind (1008, ERR_SLOW_CLIENT); what came is in order', async () => {
        const channel = context.channel('slow-ws')
        const before = await slowReports()
        const upgrade = await openSocket(context.url)
        if (!upgrade.ok) throw new Error(`The upgrade was refused with ${upgrade.status}`)
        const socket = context.hold(upgrade.socket)
        const events = subscribeSocket(socket, [{ channel }])
        await events.next('the subscription', (e) => e.type === 'cursor')
        socket.pause()
        const deadline = Date.now() + 3 * GUARD_MS
        let published: string[] = []
        while ((await slowReports()) <= before) {
          if (published.length >= MOST || Date.now() > deadline) {
            throw new Error(`${published.length} messages published and the socket was not cut`)
          }
          const batch = Array.from({ length: BATCH }, () => ({ data: PAYLOAD }))
          published = published.concat(await context.control.publish(channel, batch))
        }
        socket.resume()
        const guard = setTimeout(() => socket.cut(), GUARD_MS)
        expect(await socket.closed, 'the close code (1006: not closed by the server)').toBe(1008)
        clearTimeout(guard)
        const ids = events
          .all()
          .filter(messagesOf(channel))
          .map((m) => m.id)
        expect(ids.length).toBeLessThan(published.length)
        expect(ids).toEqual(published.slice(0, ids.length))
        expect(published.length * PAYLOAD.length).toBeLessThan(CUT_BOUND)
      }, 30_000)
    }

    if (offered('iframe')) {
      it('ends an iframe document after about 1 MiB, in order, for the client to resume in a fresh one', async () => {
        const channel = context.channel('iframe-end')
        const { response, abort } = await open('iframe', channel)
        // A document that does not end fails the check instead of holding it.
        const guard = setTimeout(() => abort.abort(), GUARD_MS)
        const count = Math.ceil((1.5 * IFRAME_END) / PAYLOAD.length)
        const published = await context.control.publish(
          channel,
          Array.from({ length: count }, () => ({ data: PAYLOAD })),
        )
        const ids: string[] = []
        const { ended, bytes } = await readAll(
          response,
          createIframeParser((object) => {
            if (object.t === 'm') ids.push((object.m as { id: string }).id)
          }),
        )
        clearTimeout(guard)
        expect(ended).toBe('end')
        expect(bytes).toBeGreaterThan(IFRAME_END)
        expect(bytes).toBeLessThan(IFRAME_END + 4 * CONFORMANCE_RULES.maxPayload + 4096)
        expect(ids.length).toBeGreaterThan(0)
        expect(ids.length).toBeLessThan(published.length)
        expect(ids).toEqual(published.slice(0, ids.length))
      })
    }
  })
}
