import { once } from 'node:events'
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'

/** A TCP proxy in front of a Redis: see {@link startStallingProxy}. */
export interface StallingProxy {
  /** `redis://127.0.0.1:<port>`: the proxy's. */
  readonly url: string
  /**
   * Stops forwarding anything on the connections open now, both ways, without closing them (a
   * dead NAT or load-balancer flow, a peer gone without a reset); new connections still work.
   */
  stall(): void
  /** How many connections were made through it so far. */
  connections(): number
  /** Stops listening and destroys every connection through it. */
  close(): Promise<void>
}

/**
 * Forwards every connection to `127.0.0.1:<port>` until {@link StallingProxy.stall}.
 *
 * @example
 * ```ts
 * const proxy = await startStallingProxy(redis.port)
 * proxy.stall() // the sockets open now carry nothing more; a new one works
 * ```
 */
export async function startStallingProxy(port: number): Promise<StallingProxy> {
  const pairs: Array<{ outer: Socket; inner: Socket; stalled: boolean }> = []
  const server = createServer((outer) => {
    const inner = connect(port, '127.0.0.1')
    const pair = { outer, inner, stalled: false }
    pairs.push(pair)
    outer.on('data', (chunk) => {
      if (!pair.stalled) inner.write(chunk)
    })
    inner.on('data', (chunk) => {
      if (!pair.stalled) outer.write(chunk)
    })
    for (const socket of [outer, inner]) socket.on('error', () => {})
    outer.on('close', () => inner.destroy())
    inner.on('close', () => outer.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port: own } = server.address() as AddressInfo
  return {
    url: `redis://127.0.0.1:${own}`,
    stall() {
      for (const pair of pairs) pair.stalled = true
    },
    connections: () => pairs.length,
    async close() {
      for (const pair of pairs) {
        pair.outer.destroy()
        pair.inner.destroy()
      }
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
