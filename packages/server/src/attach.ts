import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { LiveServerError } from './errors'
import { refuse, sendError } from './http-errors'
import type { Hub } from './hub'
import { quote } from './quote'
import { parseTarget, TARGET_REFUSAL } from './router'
import { type AcceptUpgrade, refuseUpgrade } from './upgrade'

/** What `attach` serves: the requests under the path, and the upgrades at it. */
export interface Attachable {
  /** The base path, without a trailing slash. */
  path: string
  hub: Hub
  /** Serves a request under the path and returns `true`, or returns `false`. */
  handle: (request: IncomingMessage, response: ServerResponse) => boolean
  /** Serves an upgrade at the path. */
  upgrade: AcceptUpgrade
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void

/**
 * Serves the live routes and the WebSocket upgrade on `server`, in front of the request listeners
 * it already has; returns the function that detaches it again.
 *
 * @example
 * ```ts
 * const detach = attachTo(httpServer, { path, hub, handle, upgrade })
 * ```
 */
export function attachTo(server: Server, live: Attachable): () => void {
  const { path, hub } = live
  const others = server.listeners('request') as RequestListener[]
  server.removeAllListeners('request')
  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    if (live.handle(request, response)) return
    if (others.length === 0) {
      if (parseTarget(request.url) === null) {
        refuse(hub.report, response, 400, 'ERR_INVALID_REQUEST', TARGET_REFUSAL, { request })
      } else {
        sendError(response, 404, 'ERR_NOT_FOUND', `Nothing at ${quote(request.url)}`)
      }
      return
    }
    for (const other of others) other.call(server, request, response)
  }
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node takes its own error handler off the socket before 'upgrade': without one, a client
    // that resets the connection while it is refused would crash the process.
    socket.on('error', () => socket.destroy())
    try {
      const pathname = parseTarget(request.url)?.pathname
      if (pathname === undefined) {
        if (server.listenerCount('upgrade') === 1) {
          refuseUpgrade(socket, 400, 'ERR_INVALID_REQUEST', TARGET_REFUSAL)
        }
        return
      }
      if (pathname !== path && pathname !== `${path}/`) {
        // Another upgrade handler (a dev server's HMR, say) may own this path.
        if (server.listenerCount('upgrade') === 1) {
          refuseUpgrade(socket, 404, 'ERR_NOT_FOUND', `Nothing at ${quote(request.url)}`)
        }
        return
      }
      live.upgrade(request, socket, head)
    } catch (cause) {
      socket.destroy()
      hub.report(new LiveServerError('ERR_INTERNAL', 'an upgrade failed', { cause }), {
        client: false,
        transport: 'websocket',
        request,
      })
    }
  }
  server.on('request', onRequest)
  server.on('upgrade', onUpgrade)
  return () => {
    server.removeListener('request', onRequest)
    server.removeListener('upgrade', onUpgrade)
    for (const other of others) server.on('request', other)
  }
}
