import { once } from 'node:events'
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { type AddressInfo, connect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'

/** One node behind the proxy. */
export interface ProxyTarget {
  /** Its name, as `X-Served-By` and the routing log give it. */
  name: string
  /** Its origin, `http://127.0.0.1:<port>`. */
  origin: string
}

/** One request the proxy routed. */
export interface Routed {
  /** The node that served it; `null` when none could. */
  node: string | null
  method: string
  /** The request target, path and query. */
  url: string
  /** The node's status, `101` for a WebSocket, `502` when no node answered. */
  status: number
  /** When, in ms since the epoch. */
  at: number
}

/** Options of {@link startRoundRobinProxy}. */
export interface ProxyOptions {
  targets: readonly ProxyTarget[]
  /** Default 0: a free port. */
  port?: number
  /** Default `127.0.0.1`. */
  host?: string
  /** Told of every request routed. */
  onRouted?: (routed: Routed) => void
  /**
   * The proxy's own endpoints: called first with every HTTP request; one it answers (returns
   * `true`) goes to no node and is not routed. Default: none.
   */
  handle?: (request: IncomingMessage, response: ServerResponse) => boolean
}

/** A running proxy; see {@link startRoundRobinProxy}. */
export interface RoundRobinProxy {
  /** `http://<host>:<port>` */
  url: string
  port: number
  /** Stops listening and cuts every connection through it. */
  close(): Promise<void>
}

/** The most body bytes a request may have: the proxy keeps a body to retry it on another node. */
const MAX_BODY = 1024 * 1024

/** Headers that belong to one hop, not forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade'])

async function readBody(request: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) return null
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/**
 * A round-robin reverse proxy, as a load balancer without sticky sessions: every HTTP request
 * (each long poll, each SSE reconnect, each send) and every WebSocket goes to the next node in
 * turn. A node that refuses the connection (stopped, killed) is skipped for that request, as
 * nginx's `proxy_next_upstream error` does; a node that dies mid-answer cuts that answer. Each
 * answer carries `X-Served-By: <node>`, and `Server-Timing: node;desc="<node>"` for pages, which
 * can read it (`performance.getEntries()`), unlike other headers of their own documents.
 *
 * @example
 * ```ts
 * const proxy = await startRoundRobinProxy({
 *   targets: [{ name: 'node-1', origin: 'http://127.0.0.1:4001' }, { name: 'node-2', origin: 'http://127.0.0.1:4002' }],
 * })
 * console.log(`open ${proxy.url}`)
 * ```
 */
export async function startRoundRobinProxy(options: ProxyOptions): Promise<RoundRobinProxy> {
  const { targets, onRouted = () => {} } = options
  if (targets.length === 0) throw new Error('The proxy needs at least one target')
  const agent = new Agent({ keepAlive: true })
  const sockets = new Set<Duplex>()
  let turn = 0
  const next = (): ProxyTarget => targets[turn++ % targets.length] as ProxyTarget
  const route = (node: string | null, request: IncomingMessage, status: number): void =>
    onRouted({
      node,
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      status,
      at: Date.now(),
    })

  function forward(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
    const headers: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined && !HOP.has(name)) headers[name] = value
    }
    headers['content-length'] = String(body.length)
    let tries = 0
    const attempt = (): void => {
      const target = next()
      const { hostname, port } = new URL(target.origin)
      const upstream = httpRequest(
        { agent, host: hostname, port, method: request.method, path: request.url, headers },
        (answer) => {
          route(target.name, request, answer.statusCode ?? 502)
          const out: Record<string, string | string[]> = {
            'x-served-by': target.name,
            'server-timing': `node;desc="${target.name}"`,
          }
          for (const [name, value] of Object.entries(answer.headers)) {
            if (value !== undefined && !HOP.has(name)) out[name] = value
          }
          response.writeHead(answer.statusCode ?? 502, out)
          response.flushHeaders()
          answer.pipe(response)
          // The node died mid-answer: the client sees its answer cut, as it would.
          answer.once('aborted', () => response.destroy())
          answer.once('error', () => response.destroy())
        },
      )
      upstream.once('error', (error: NodeJS.ErrnoException) => {
        if (response.headersSent) return response.destroy()
        // Refused: nothing reached the node, the next one takes the request. (A reset may come
        // after the request was written: retrying it elsewhere could deliver a send twice.)
        const refused = error.code === 'ECONNREFUSED'
        if (refused && ++tries < targets.length && !response.destroyed) return attempt()
        route(null, request, 502)
        response.writeHead(502, { 'content-type': 'text/plain' }).end('No node answered')
      })
      response.once('close', () => upstream.destroy())
      upstream.end(body)
    }
    attempt()
  }

  const server = createServer((request, response) => {
    if (options.handle?.(request, response)) return
    readBody(request).then(
      (body) => {
        if (body === null) return void response.writeHead(413).end()
        forward(request, response, body)
      },
      () => response.destroy(),
    )
  })

  server.on('upgrade', (request: IncomingMessage, client: Duplex, head: Buffer) => {
    sockets.add(client)
    client.once('close', () => sockets.delete(client))
    client.on('error', () => client.destroy())
    let tries = 0
    const attempt = (): void => {
      const target = next()
      const { hostname, port } = new URL(target.origin)
      const upstream: Socket = connect(Number(port), hostname)
      let connected = false
      sockets.add(upstream)
      upstream.once('close', () => sockets.delete(upstream))
      upstream.once('connect', () => {
        connected = true
        route(target.name, request, 101)
        const lines = [`${request.method} ${request.url} HTTP/1.1`]
        for (let i = 0; i < request.rawHeaders.length; i += 2) {
          lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`)
        }
        upstream.write(`${lines.join('\r\n')}\r\n\r\n`)
        if (head.length > 0) upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
        upstream.once('close', () => client.destroy())
        client.once('close', () => upstream.destroy())
      })
      upstream.once('error', () => {
        upstream.destroy()
        // Cut after it was through: the client sees its socket close, as it would.
        if (connected) return client.destroy()
        if (++tries < targets.length && !client.destroyed) return attempt()
        route(null, request, 502)
        client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n')
      })
    }
    attempt()
  })

  server.listen(options.port ?? 0, options.host ?? '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    async close() {
      for (const socket of sockets) socket.destroy()
      server.closeAllConnections()
      agent.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
