import type { ServerTransport } from '@livedata/server'
import { describe, expect, it } from 'vitest'
import type { SuiteContext } from './context'
import { GUARD_MS } from './queue'
import { subscribe } from './subscribe'

// A condition of the server seen only through /control/stats: asked again every 10 ms until it
// holds, within the guard.
async function until(
  context: SuiteContext,
  what: string,
  holds: (connections: number) => boolean,
): Promise<void> {
  const deadline = Date.now() + GUARD_MS
  let last = -1
  while (Date.now() < deadline) {
    last = (await context.control.stats()).connections
    if (holds(last)) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`Waited ${GUARD_MS} ms for ${what}; the server holds ${last} connections`)
}

const STREAMS: readonly ServerTransport[] = ['sse', 'iframe', 'websocket']
// Transports that hold a connection open: streams, and a long poll with nothing to say.
const HELD: readonly ServerTransport[] = [...STREAMS, 'long-polling']

/** Registers the checks of connections over time: heartbeats, and release after a cut. */
export function describeStreams(context: SuiteContext): void {
  const streams = STREAMS.filter((t) => context.transports.includes(t))
  const held = HELD.filter((t) => context.transports.includes(t))

  describe('connections', () => {
    if (streams.length > 0) {
      it(`every stream carries heartbeats (${streams.join(', ')})`, async () => {
        const channel = context.channel('heartbeat')
        await Promise.all(
          streams.map(async (transport) => {
            const form = transport === 'websocket' ? 'plain' : 'multiplexed'
            const sub = context.hold(await subscribe(context.url, transport, form, [{ channel }]))
            const beat = await sub.events.next(
              `a heartbeat on ${transport}`,
              (e) => e.type === 'heartbeat',
            )
            expect(beat.type).toBe('heartbeat')
          }),
        )
      })
    }

    for (const transport of held) {
      it(`releases the ${transport} connection a client cuts, a message for it published at once`, async () => {
        await until(context, 'every earlier connection to be released', (n) => n === 0)
        const channel = context.channel('release')
        const sub = context.hold(
          await subscribe(context.url, transport, 'multiplexed', [{ channel }]),
        )
        await sub.events.next('the cursor', (e) => e.type === 'cursor')
        await until(context, `the ${transport} connection to be held`, (n) => n >= 1)
        sub.cut()
        // A message for the client that just left (a long poll it held, a stream it read)
        // must not trouble the server.
        await context.control.publish(channel, [{ data: 'after the cut' }])
        await until(context, `the cut ${transport} connection to be released`, (n) => n === 0)
      })
    }
  })
}
