import { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { admit } from './admission'
import { LiveServerError } from './errors'
import { errorBody } from './http-errors'
import type { Hub } from './hub'
import type { WireErrorCode } from './protocol'
import type { ServerSettings } from './settings'

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
}

/** Node's way of setting a request's headers from its raw lines (what its parser calls). */
interface HeaderLines {
  _addHeaderLines(rawHeaders: string[], count: number): void
}

/**
 * What a WebSocket connection keeps of its `node:http` upgrade request, for as long as it lives:
 * the raw header lines, the URL and the socket. The request itself (its stream state, its parsed
 * headers besides the raw ones) would cost every idle socket about half a kilobyte more; an
 * equal `IncomingMessage` is made again whenever a hook or a report needs one ({@link request}).
 *
 * @example
 * ```ts
 * const kept = new KeptUpgrade(request)
 * hub.authorize({ channel, action, transport: 'websocket', headers, request: kept.request() })
 * ```
 */
export class KeptUpgrade {
  readonly rawHeaders: string[]
  /** The request target: path and query. */
  readonly url: string
  readonly socket: Socket
  /**
   * What the app put on the upgrade request itself (a session an `upgrade` listener decoded, a
   * user): its own properties that Node's request does not have, copied onto every request made
   * from it; `null` when there are none (the usual case: nothing kept).
   */
  private readonly extras: Record<string, unknown> | null

  constructor(request: IncomingMessage) {
    this.rawHeaders = request.rawHeaders
    this.url = request.url ?? '/'
    this.socket = request.socket as Socket
    this.extras = appProperties(request, this)
  }

  /**
   * A new `IncomingMessage` equal to the upgrade request in what hooks read: method `GET` (the
   * only one `ws` upgrades), HTTP/1.1, the same URL, headers and raw headers, and socket (its
   * address, TLS), and what the app set on the upgrade request before the live server took it.
   * Its body is empty and ended. A new object each time: properties set on one later are not on
   * the next.
   */
  request(): IncomingMessage {
    const request = new IncomingMessage(this.socket)
    request.method = 'GET'
    request.url = this.url
    request.httpVersion = '1.1'
    request.httpVersionMajor = 1
    request.httpVersionMinor = 1
    Object.assign(request, { upgrade: true })
    // Headers first (while not `complete`, Node takes the lines for headers, not trailers);
    // they are parsed, as Node does, when first read.
    ;(request as unknown as HeaderLines)._addHeaderLines(this.rawHeaders, this.rawHeaders.length)
    request.complete = true
    // No body to read: reading it ends at once and never touches the socket `ws` reads.
    request.push(null)
    if (this.extras !== null) Object.assign(request, this.extras)
    return request
  }
}

/** The own property names of a request this module makes: Node's, not the app's. */
let nodeKeys: ReadonlySet<string> | null = null

/**
 * The properties an app set on `request` (own, enumerable, named; not Node's, not `_`-prefixed),
 * or `null` when it set none.
 */
function appProperties(
  request: IncomingMessage,
  kept: KeptUpgrade,
): Record<string, unknown> | null {
  nodeKeys ??= new Set(Object.keys(kept.request()))
  let extras: Record<string, unknown> | null = null
  for (const key of Object.keys(request)) {
    if (nodeKeys.has(key) || key.startsWith('_')) continue
    extras ??= {}
    extras[key] = (request as unknown as Record<string, unknown>)[key]
  }
  return extras
}

/**
 * The `error` listener an upgrade's socket needs until something takes it: Node takes its own
 * off before `'upgrade'`, and without one a client that resets the connection while it is
 * refused would crash the process. One function for every socket, so that whoever takes the
 * socket (`ws`, which listens itself) can remove it again.
 *
 * @example
 * ```ts
 * socket.on('error', destroyOnError)
 * ```
 */
export function destroyOnError(this: Duplex): void {
  this.destroy()
}

/**
 * Refuses an upgrade with a plain HTTP answer, a JSON error body, on the raw socket.
 *
 * @example
 * ```ts
 * refuseUpgrade(socket, 404, 'ERR_NOT_FOUND', 'Nothing at "/x"')
 * ```
 */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  code: WireErrorCode,
  message: string,
): void {
  const body = errorBody(code, message)
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

/** Why an upgrade is refused: the HTTP status and the error it answers with. */
export interface UpgradeRefusal {
  status: number
  code: WireErrorCode
  message: string
}

/**
 * Why an upgrade at the base path is refused, or `null` when it may go on: a closed server
 * (`503 ERR_CLOSED`), no WebSocket offered (`404 ERR_TRANSPORT`), a refused Host or Origin
 * (`403`, reported). The same rules for `ws` on Node and for every runtime adapter.
 *
 * @example
 * ```ts
 * const refusal = upgradeRefusal(request, settings, hub, isClosed())
 * if (refusal) return refuseUpgrade(socket, refusal.status, refusal.code, refusal.message)
 * ```
 */
export function upgradeRefusal(
  request: IncomingMessage,
  settings: ServerSettings,
  hub: Hub,
  closed: boolean,
): UpgradeRefusal | null {
  if (closed) return { status: 503, code: 'ERR_CLOSED', message: 'The live server is closed' }
  if (!settings.offered.has('websocket')) {
    const offered = settings.transports.join(', ')
    const message = `This server does not offer websocket; it offers ${offered}`
    return { status: 404, code: 'ERR_TRANSPORT', message }
  }
  const refusal = admit(request, settings)
  if (refusal === null) return null
  const { code, message } = refusal
  const context = { transport: 'websocket' as const, request }
  hub.report(new LiveServerError(code, message), { client: true, ...context })
  return { status: 403, code, message }
}

/** Takes an accepted upgrade request: the WebSocket endpoint. */
export type AcceptUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

/**
 * Serves a `node:http` upgrade at the base path, or refuses it (see {@link upgradeRefusal})
 * with a plain HTTP answer on the raw socket.
 *
 * @example
 * ```ts
 * const upgrade = createUpgrade(settings, hub, () => closed, webSocket.upgrade)
 * ```
 */
export function createUpgrade(
  settings: ServerSettings,
  hub: Hub,
  isClosed: () => boolean,
  accept: AcceptUpgrade,
): AcceptUpgrade {
  return (request, socket, head) => {
    const refusal = upgradeRefusal(request, settings, hub, isClosed())
    if (refusal !== null) {
      return refuseUpgrade(socket, refusal.status, refusal.code, refusal.message)
    }
    accept(request, socket, head)
  }
}
