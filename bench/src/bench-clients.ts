import { createLiveClient, type LiveClient, type TransportName } from '@livedata/core'
import { WebSocket } from 'ws'
import { epochNow } from './clock'
import { counter } from './counter'
import type { BenchPayload } from './node-commands'
import { whenOpen } from './when-open'

/** Options of {@link startClients}. */
export interface ClientsOptions {
  /** The nodes; client `i` connects to `origins[i % origins.length]`. */
  origins: string[]
  count: number
  transport: TransportName
  channel: string
  /** Called in the source's listener for each message it brought, with our clock's time. */
  onArrival?: (payload: BenchPayload, arrived: number) => void
}

/** See {@link BenchClients.faults}. */
export interface ClientFaults {
  gaps: number
  duplicates: number
  reordered: number
  disagreeing: number
}

/** Clients of the bench, all subscribed to one channel; see {@link startClients}. */
export interface BenchClients {
  /** Resolves once every client has `messages` messages. */
  until(messages: number): Promise<void>
  /**
   * What the clients saw, beyond the count: gap flags, messages delivered twice to one client,
   * messages out of publish order (`seq` not one more than the one before), and clients whose
   * order differs from the first client's. All 0 in a sound run; `reordered` alone, with
   * `disagreeing` 0, means the log's order differs from the publish calls' but every client
   * got the log's.
   */
  faults(): ClientFaults
  close(): void
}

/**
 * Starts `count` @livedata clients (each its own connection) spread round-robin over the nodes,
 * subscribed to `channel` over one transport; resolves once every one is open.
 *
 * @example
 * ```ts
 * const clients = await startClients({ origins, count: 3, transport: 'sse', channel: 'c' })
 * await clients.until(20_000)
 * clients.close()
 * ```
 */
export async function startClients(options: ClientsOptions): Promise<BenchClients> {
  const faults = { gaps: 0, duplicates: 0, reordered: 0 }
  const orders: number[][] = []
  const counts: ReturnType<typeof counter>[] = []
  const live: LiveClient[] = []
  const opened: Promise<void>[] = []
  for (let i = 0; i < options.count; i++) {
    const client = createLiveClient({
      url: `${options.origins[i % options.origins.length]}/live`,
      transports: [options.transport],
      WebSocket,
    })
    live.push(client)
    // The reducer keeps what arrived; the listener (a microtask later) timestamps it.
    let pending: BenchPayload[] = []
    let last = -1
    const seen = new Set<number>()
    const order: number[] = []
    orders.push(order)
    const count = counter()
    counts.push(count)
    const source = client.source<number, BenchPayload>(options.channel, {
      initialData: 0,
      reduce: (count, payload) => {
        pending.push(payload)
        return count + 1
      },
    })
    source.subscribe(() => {
      const arrived = epochNow()
      const snapshot = source.getSnapshot()
      if (snapshot.gap) faults.gaps++
      const batch = pending
      pending = []
      for (const payload of batch) {
        if (seen.has(payload.seq)) faults.duplicates++
        else if (payload.seq !== last + 1) faults.reordered++
        seen.add(payload.seq)
        order.push(payload.seq)
        last = payload.seq
        options.onArrival?.(payload, arrived)
      }
      count.add(batch.length)
    })
    opened.push(whenOpen(source))
  }
  await Promise.all(opened)
  return {
    until: async (messages) => {
      await Promise.all(counts.map((count) => count.until(messages)))
    },
    faults() {
      const first = orders[0] ?? []
      const disagreeing = orders.filter(
        (order) => order.length !== first.length || order.some((seq, i) => seq !== first[i]),
      ).length
      return { ...faults, disagreeing }
    },
    close() {
      for (const client of live) client.close()
    },
  }
}
