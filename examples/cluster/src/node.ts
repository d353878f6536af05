import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { redisBackplane } from '@livedata/redis'
import { createLiveServer, type LiveServer } from '@livedata/server'

/** Options of {@link startClusterNode}. */
export interface ClusterNodeOptions {
  /** The node's name, on every answer as `X-Node`. */
  name: string
  /** The Redis the nodes share. */
  redisUrl: string
  /** Default 0: a free port. */
  port?: number
  /** Default `127.0.0.1`. */
  host?: string
  /** Messages kept per channel, in Redis and on each node. Default 1000. */
  history?: number
  /**
   * Answers every request that is neither the live server's (`/live`) nor `/healthz`, e.g. the
   * demo's apps. Default: a `404`.
   */
  handle?: (request: IncomingMessage, response: ServerResponse) => void
}

/** A running node; see {@link startClusterNode}. */
export interface ClusterNode {
  name: string
  port: number
  live: LiveServer<Promise<string>>
  /** Ends every live connection (their clients resume on another node) and closes the port. */
  close(): Promise<void>
}

/**
 * One node of a cluster: a live server whose channels live in Redis Streams, on its own port,
 * with a health check at `/healthz` (`200` while Redis is reachable, `503` with the reason
 * otherwise) and its name on every answer; anything else goes to `handle` (the demo's apps).
 *
 * @example
 * ```ts
 * const node = await startClusterNode({ name: 'node-1', redisUrl: 'redis://127.0.0.1:6379' })
 * ```
 */
export async function startClusterNode(options: ClusterNodeOptions): Promise<ClusterNode> {
  const { name, history = 1000 } = options
  const live = createLiveServer({
    history,
    backplane: redisBackplane({ url: options.redisUrl, history }),
  })
  const http = createServer((request, response) => {
    response.setHeader('x-node', name)
    if (request.url === '/healthz') {
      const health = live.health()
      response.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' })
      return void response.end(JSON.stringify({ node: name, ...health }))
    }
    if (options.handle) return options.handle(request, response)
    response.writeHead(404).end()
  })
  live.attach(http)
  http.listen(options.port ?? 0, options.host ?? '127.0.0.1')
  await once(http, 'listening')
  return {
    name,
    port: (http.address() as AddressInfo).port,
    live,
    async close() {
      await live.close()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}
