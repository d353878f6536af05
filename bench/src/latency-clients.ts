// One listening client per contender of the latency section, in the bench's process: an
// @livedata client (createLiveClient, the source's listener: bench-clients.ts), or as little as a
// client of a raw server can be (a `ws` socket, an SSE stream, socket.io-client:
// fan-out-connections.ts), each telling every message with the time it arrived.
import { startClients } from './bench-clients'
import { epochNow } from './clock'
import { counter } from './counter'
import type { FanOutClientKind } from './fan-out-commands'
import { connectors } from './fan-out-connections'
import type { BenchPayload } from './node-commands'

/** How a latency client connects. */
export type LatencyClientKind =
  | 'livedata websocket'
  | 'livedata sse'
  | Extract<FanOutClientKind, 'ws' | 'sse' | 'socket.io websocket'>

/** A connected client; see {@link startLatencyClient}. */
export interface LatencyClient {
  /** Resolves once it has `messages` messages. */
  until(messages: number): Promise<void>
  /** Gap flags, duplicates and reorderings an @livedata client saw (empty for the others). */
  notes(): string[]
  close(): void
}

/**
 * Connects one client of `kind` to `origin` (on `channel` for @livedata; the raw servers send
 * every message to every client); resolves once it receives what is published.
 *
 * @example
 * ```ts
 * const client = await startLatencyClient('ws', origin, 'c', (payload, arrived) => {})
 * await client.until(6000)
 * client.close()
 * ```
 */
export async function startLatencyClient(
  kind: LatencyClientKind,
  origin: string,
  channel: string,
  onArrival: (payload: BenchPayload, arrived: number) => void,
): Promise<LatencyClient> {
  if (kind === 'livedata websocket' || kind === 'livedata sse') {
    const transport = kind === 'livedata websocket' ? 'websocket' : 'sse'
    const clients = await startClients({
      origins: [origin],
      count: 1,
      transport,
      channel,
      onArrival,
    })
    return {
      until: clients.until,
      notes() {
        const { gaps, duplicates, reordered } = clients.faults()
        const notes: string[] = []
        if (gaps) notes.push(`${gaps} gap flags`)
        if (duplicates) notes.push(`${duplicates} delivered twice`)
        if (reordered) notes.push(`${reordered} out of order`)
        return notes
      },
      close: clients.close,
    }
  }
  const count = counter()
  const connection = await connectors[kind](origin, (payload) => {
    onArrival(payload, epochNow())
    count.add()
  })
  return { until: count.until, notes: () => [], close: connection.close }
}
