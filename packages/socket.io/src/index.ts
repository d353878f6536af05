import type { LinkPool, TransportDefinition } from '@livedata/core'
import {
  io as defaultIo,
  type ManagerOptions,
  type Socket,
  type SocketOptions,
} from 'socket.io-client'

import type { AckOption } from './send'
import { SocketIoLink } from './socket-link'
import { SocketSession } from './socket-session'

export type { Socket } from 'socket.io-client'
export type { AckOption } from './send'

/**
 * Options of {@link socketIoTransport}: socket.io-client's own (`path`, `auth`, `transports`,
 * `query`, `withCredentials`, `extraHeaders`, …) less its reconnection, which @livedata drives.
 */
export interface SocketIoTransportOptions
  extends Omit<
    Partial<ManagerOptions & SocketOptions>,
    | 'autoConnect'
    | 'forceNew'
    | 'multiplex'
    | 'reconnection'
    | 'reconnectionAttempts'
    | 'reconnectionDelay'
    | 'reconnectionDelayMax'
    | 'randomizationFactor'
  > {
  /**
   * The `io` function that creates the socket. Default: the one of the `socket.io-client` this
   * package resolves; pass your own to share its instance (or to wrap it).
   */
  io?: (url: string, options: Partial<ManagerOptions & SocketOptions>) => Socket
  /**
   * Whether a send waits for the server's acknowledgement. Default `false`: a send resolves (with
   * `undefined`) once emitted, as `socket.emit` does, which is what a classic server's
   * `socket.on('say', (data) => …)` expects. `true`: every send asks for an acknowledgement and
   * resolves with what the server passes to it, or rejects with `ERR_SEND_TIMEOUT` after the
   * client's `sendTimeout`. A function: only the events it accepts wait.
   *
   * @example
   * ```ts
   * // the server: socket.on('order', (order, ack) => ack({ id: save(order) }))
   * const client = createLiveClient({
   *   register: [socketIoTransport({ ack: (event) => event === 'order' })],
   * })
   * const { id } = (await orders.send(order, { event: 'order' })) as { id: string }
   * ```
   */
  ack?: AckOption
}

let instances = 0

/**
 * Creates a socket.io transport with socket.io-client options (`path`, `auth`, `transports`, …).
 * Register it with the client, then give a plain source a socket.io server's `url`,
 * `transport: 'socket.io'` and the `event` it emits: each emit becomes a message, its first
 * argument the data. Sources on the same server share one socket; `send` emits the source's event
 * (or `options.event`) and resolves once emitted, or, with `ack`, once the server acknowledges it.
 *
 * @example
 * ```ts
 * import { createLiveClient } from '@livedata/core'
 * import { socketIoTransport } from '@livedata/socket.io'
 *
 * const client = createLiveClient({
 *   register: [socketIoTransport({ path: '/ws/', auth: (cb) => cb({ token: getToken() }) })],
 * })
 * const chat = client.source<Message[], Message>('chat', {
 *   url: 'https://chat.example.com',
 *   transport: 'socket.io',
 *   event: 'chat',
 *   reduce: (list = [], message) => [...list, message],
 * })
 * const stop = chat.subscribe(() => render(chat.getSnapshot().data))
 * await chat.send({ text: 'hi' }) // waits for the socket if it is still connecting
 * ```
 */
export function socketIoTransport(options: SocketIoTransportOptions = {}): TransportDefinition {
  // Sources share a socket only through the same transport: other options (auth, query) mean
  // another connection.
  const instance = ++instances
  const { io = defaultIo, ack = false, ...socketOptions } = options
  // The sockets of each client (each pool of links: client.reconnect() starts a new one), by key.
  const sessions = new WeakMap<LinkPool, Map<string, SocketSession>>()
  return {
    name: 'socket.io',
    // socket.io pings on its own and reports a dead connection as a `ping timeout` disconnect.
    heartbeat: false,
    connect(context, handlers) {
      const key = `socket.io#${instance} ${options.path ?? '/socket.io'} ${context.url}`
      const byKey = sessions.get(context.links) ?? new Map<string, SocketSession>()
      sessions.set(context.links, byKey)
      let session = byKey.get(key)
      if (!session) {
        // Our connection is the one reconnection policy (backoff, online, visibility):
        // socket.io's is off, and we reconnect this same Socket, whose session id lets the
        // server recover its state.
        const socket = io(context.url, {
          ...socketOptions,
          forceNew: true,
          autoConnect: false,
          reconnection: false,
        })
        session = new SocketSession(socket, context.url)
        byKey.set(key, session)
      }
      const shared = session
      const link = context.links.get(key, () => new SocketIoLink(shared, ack, context.sendTimeout))
      return link.attach(context, handlers)
    },
  }
}

/**
 * The socket.io transport with socket.io-client's defaults (path `/socket.io/`). Register it, then
 * use `transport: 'socket.io'` on a plain source; see {@link socketIoTransport} for options.
 *
 * @example
 * ```ts
 * import { createLiveClient } from '@livedata/core'
 * import { socketIo } from '@livedata/socket.io'
 *
 * const client = createLiveClient({ register: [socketIo] })
 * const prices = client.source('prices', {
 *   url: 'http://localhost:3000',
 *   transport: 'socket.io',
 *   event: 'prices',
 * })
 * ```
 */
export const socketIo: TransportDefinition = /* @__PURE__ */ socketIoTransport()
