import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Routed } from './proxy'

/** How a routed request reaches the node: a page's file, one of the transports, or a send. */
export type RoutedKind =
  | 'page'
  | 'websocket'
  | 'sse'
  | 'long-polling'
  | 'polling'
  | 'iframe'
  | 'send'
  | 'other'

/** One line of the routing log, as `/cluster/routed` sends it. */
export interface RoutedEntry extends Routed {
  /** What the request was, read from its method, path and query. */
  kind: RoutedKind
  /** The path, without the query. */
  path: string
}

/** Options of {@link createRoutingLog}. */
export interface RoutingLogOptions {
  /** Where the proxy serves the log. Default `/cluster/routed`. */
  path?: string
  /** The live server's base path, to tell transports from files. Default `/live`. */
  livePath?: string
  /** Entries a new reader gets first. Default 50. */
  size?: number
  /** A comment every so many ms keeps idle streams open through proxies. Default 15,000. */
  keepAlive?: number
}

/** The proxy's routing log; see {@link createRoutingLog}. */
export interface RoutingLog {
  /** Records a routed request: give it as the proxy's `onRouted`. */
  record(routed: Routed): void
  /** Serves the log at its path (returns `true`), or leaves the request (`false`): the proxy's `handle`. */
  handle(request: IncomingMessage, response: ServerResponse): boolean
  /** The entries kept, oldest first. */
  entries(): readonly RoutedEntry[]
  /** Ends every reader's stream. */
  close(): void
}

const TRANSPORTS = new Set<RoutedKind>(['sse', 'long-polling', 'polling', 'iframe'])

/** What a request was, from the live protocol's URLs (docs/protocol.md, "Channels and URLs"). */
export function kindOf(routed: Routed, livePath = '/live'): RoutedKind {
  const url = new URL(routed.url, 'http://proxy')
  if (routed.status === 101) return 'websocket'
  if (url.pathname !== livePath && !url.pathname.startsWith(`${livePath}/`)) return 'page'
  if (routed.method === 'POST') return 'send'
  if (routed.method !== 'GET') return 'other'
  const transport = url.searchParams.get('transport') as RoutedKind | null
  if (transport === null) return 'sse'
  return TRANSPORTS.has(transport) ? transport : 'other'
}

/**
 * The requests a proxy routed, kept (the last `size`) and served as Server-Sent Events at
 * `path` (`/cluster/routed`): each event's data is one {@link RoutedEntry} as JSON, the kept
 * ones first. The demo's dashboard reads it to show which node served what.
 *
 * @example
 * ```ts
 * const log = createRoutingLog()
 * await startRoundRobinProxy({ targets, onRouted: log.record, handle: log.handle })
 * // curl -N http://localhost:3000/cluster/routed
 * ```
 */
export function createRoutingLog(options: RoutingLogOptions = {}): RoutingLog {
  const { path = '/cluster/routed', livePath = '/live', size = 50, keepAlive = 15_000 } = options
  const kept: RoutedEntry[] = []
  const readers = new Set<ServerResponse>()
  const event = (entry: RoutedEntry): string => `data: ${JSON.stringify(entry)}\n\n`
  const timer = setInterval(() => {
    for (const reader of readers) reader.write(': keep-alive\n\n')
  }, keepAlive)
  timer.unref()

  return {
    record(routed) {
      const entry: RoutedEntry = {
        ...routed,
        kind: kindOf(routed, livePath),
        path: routed.url.split('?')[0] as string,
      }
      kept.push(entry)
      if (kept.length > size) kept.shift()
      for (const reader of readers) reader.write(event(entry))
    },
    handle(request, response) {
      if ((request.url ?? '/').split('?')[0] !== path) return false
      if (request.method !== 'GET') {
        response.writeHead(405, { allow: 'GET' }).end()
        return true
      }
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      })
      response.write(kept.map(event).join(''))
      readers.add(response)
      response.once('close', () => readers.delete(response))
      return true
    },
    entries: () => kept,
    close() {
      clearInterval(timer)
      for (const reader of readers) reader.end()
      readers.clear()
    },
  }
}
