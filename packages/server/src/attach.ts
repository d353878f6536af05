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

type Emit = Server['emit']

/**
 * Serves the live routes and the WebSocket upgrade on `server`, in front of its request
 * listeners, those it has now and those added or removed later; returns the function that
 * detaches it again.
 *
 * How: node:http hands every request to `server.emit('request', request, response)`. The live
 * server wraps that one `emit` and takes the requests under its path before any listener sees
 * them; every other request is emitted as before, to whatever listeners the server has at that
 * moment. The app's listeners are never taken off, called by us or re-added, so one removed or
 * added after `attach` behaves as it would without it.
 *
 * Not `prependListener`: a listener runs *beside* the others, never instead of them, so an
 * Express app or a plain `(req, res) => res.end(…)` would answer a request the live server
 * already answers (a 404 written onto an SSE stream, "headers already sent"). Marking handled
 * requests only helps listeners that look for the mark, which no existing app does.
 *
 * @example
 * ```ts
 * const detach = attachTo(httpServer, { path, hub, handle, upgrade })
 * ```
 */
export function attachTo(server: Server, live: Attachable): () => void {
  const { path, hub } = live
  // The emit of the server itself, when something (an APM agent, say) set one on it before us.
  const own = Object.hasOwn(server, 'emit')
  const original = server.emit
  let active = true
  const emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (active && event === 'request') {
      const [request, response] = args as [IncomingMessage, ServerResponse]
      if (live.handle(request, response)) return true
      // Another live server attached before this one takes its own path in the emit below.
      if (Reflect.apply(original, this, [event, ...args])) return true
      // Nobody listens: the request would hang until Node's requestTimeout.
      if (parseTarget(request.url) === null) {
        refuse(hub.report, response, 400, 'ERR_INVALID_REQUEST', TARGET_REFUSAL, { request })
      } else {
        sendError(response, 404, 'ERR_NOT_FOUND', `Nothing at ${quote(request.url)}`)
      }
      return true
    }
    return Reflect.apply(original, this, [event, ...args]) as boolean
  } as Emit
  server.emit = emit
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
  server.on('upgrade', onUpgrade)
  return () => {
    active = false
    // Something that wrapped emit after us still calls ours, which now passes everything on.
    if (server.emit === emit) {
      if (own) server.emit = original
      else Reflect.deleteProperty(server, 'emit')
    }
    server.removeListener('upgrade', onUpgrade)
  }
}
