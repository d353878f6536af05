import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { LiveServerError } from './errors'
import { refuse, sendError } from './http-errors'
import type { Hub } from './hub'
import { quote } from './quote'
import { parseTarget, TARGET_REFUSAL } from './router'
import { type AcceptUpgrade, destroyOnError, refuseUpgrade } from './upgrade'

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

/** The one `emit` wrapper of an HTTP server, and the live servers attached to it, in order. */
interface Hook {
  /** The emit found on the server before ours, and whether it was the server's own property. */
  readonly original: Emit
  readonly own: boolean
  readonly emit: Emit
  readonly lives: Attachable[]
}

/**
 * One wrapper per HTTP server, however many live servers attach and detach: a dev server's hot
 * reload that attaches the new live server before closing the old one must not leave a chain
 * of dead wrappers behind (each costing a stack frame per event, for ever).
 */
const hooks = new WeakMap<Server, Hook>()

/** Answers a request nobody took, which would otherwise hang until Node's requestTimeout. */
function unanswered(hub: Hub, request: IncomingMessage, response: ServerResponse): void {
  if (parseTarget(request.url) === null) {
    refuse(hub.report, response, 400, 'ERR_INVALID_REQUEST', TARGET_REFUSAL, { request })
  } else {
    sendError(response, 404, 'ERR_NOT_FOUND', `Nothing at ${quote(request.url)}`)
  }
}

function hook(server: Server): Hook {
  const existing = hooks.get(server)
  if (existing) return existing
  // The emit of the server itself, when something (an APM agent, say) set one on it before us.
  const own = Object.hasOwn(server, 'emit')
  const original = server.emit
  const lives: Attachable[] = []
  const emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request' && lives.length > 0) {
      const [request, response] = args as [IncomingMessage, ServerResponse]
      // The latest attached first, as if each had wrapped emit in turn.
      for (let i = lives.length - 1; i >= 0; i--) {
        if ((lives[i] as Attachable).handle(request, response)) return true
      }
      if (Reflect.apply(original, this, [event, ...args])) return true
      unanswered((lives[0] as Attachable).hub, request, response)
      return true
    }
    return Reflect.apply(original, this, [event, ...args]) as boolean
  } as Emit
  server.emit = emit
  const created: Hook = { original, own, emit, lives }
  hooks.set(server, created)
  return created
}

/** Takes `live` off the server's hook; the last one gives the server its emit back. */
function unhook(server: Server, live: Attachable): void {
  const found = hooks.get(server)
  if (!found) return
  const at = found.lives.indexOf(live)
  if (at >= 0) found.lives.splice(at, 1)
  if (found.lives.length > 0) return
  // Something wrapped emit after us and still calls ours: it stays, passing everything on, and
  // the next attach reuses it rather than wrapping again.
  if (server.emit !== found.emit) return
  if (found.own) server.emit = found.original
  else Reflect.deleteProperty(server, 'emit')
  hooks.delete(server)
}

/** Options of `live.attach`. */
export interface AttachOptions {
  /**
   * Whether the live server also takes the HTTP requests under its path, in front of the
   * server's request listeners (default `true`). `false`: only the WebSocket upgrade is served
   * here, and the app serves the HTTP transports itself (`app.use(live.handle)`, a Hono route
   * to `live.fetch`), so that its middleware runs for them.
   */
  http?: boolean
}

/**
 * Serves the live routes and the WebSocket upgrade on `server`, in front of its request
 * listeners, those it has now and those added or removed later (with `http: false`, the
 * upgrade only); returns the function that detaches it again.
 *
 * How: node:http hands every request to `server.emit('request', request, response)`. The live
 * server wraps that one `emit` (once per HTTP server, shared by every live server attached to
 * it) and takes the requests under its path before any listener sees them; every other request
 * is emitted as before, to whatever listeners the server has at that moment. The app's
 * listeners are never taken off, called by us or re-added, so one removed or added after
 * `attach` behaves as it would without it.
 *
 * Not `prependListener`: a listener runs *beside* the others, never instead of them, so an
 * Express app or a plain `(req, res) => res.end(…)` would answer a request the live server
 * already answers (a 404 written onto an SSE stream, "headers already sent"). Marking handled
 * requests only helps listeners that look for the mark, which no existing app does.
 *
 * @example
 * ```ts
 * const detach = attachTo(httpServer, { path, hub, handle, upgrade })
 * const upgradesOnly = attachTo(httpServer, { path, hub, handle, upgrade }, { http: false })
 * ```
 */
export function attachTo(
  server: Server,
  live: Attachable,
  options: AttachOptions = {},
): () => void {
  const { path, hub } = live
  const http = options.http !== false
  if (http) hook(server).lives.push(live)
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node takes its own error handler off the socket before 'upgrade': without one, a client
    // that resets the connection while it is refused would crash the process. The WebSocket
    // endpoint takes it off again once `ws` listens itself.
    socket.on('error', destroyOnError)
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
    if (http) unhook(server, live)
    server.removeListener('upgrade', onUpgrade)
  }
}
