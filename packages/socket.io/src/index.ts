import {
  LiveDataError,
  type TransportContext,
  type TransportDefinition,
  type TransportHandlers,
} from '@livedata/core'
import {
  io as defaultIo,
  type ManagerOptions,
  type Socket,
  type SocketOptions,
} from 'socket.io-client'

import { type AckOption, emitSend } from './send'

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

// Messages kept for one source while it reconnects; past that it is told of a gap instead.
const MAX_HELD = 1000

let instances = 0

/** One source's place on the shared socket, kept by the source's key (its channel name). */
interface Member {
  /** The event it listens to and sends by default. */
  event: string
  /** Its current connection's handlers; `null` while it is away (between a drop and its return). */
  handlers: TransportHandlers | null
  /** Whether its current connection was told `onOpen`. */
  open: boolean
  /** Messages that arrived while it was not open, delivered once it is. */
  held: unknown[]
  /** It was open when the socket dropped: its next open is a reconnect. */
  away: boolean
  /** Messages meant for it were lost while it was away: its next open reports a gap. */
  lost: boolean
}

/** The socket a client keeps for one socket.io server (URL and path), shared by its sources. */
interface Link {
  socket: Socket
  members: Map<string, Member>
  /** A `socket.connect()` is on its way. */
  connecting: boolean
  /** Sources that left while open: what was emitted since is lost to them if they come back. */
  left: Set<string>
}

function open(member: Member): void {
  const { handlers } = member
  if (!handlers || member.open) return
  member.open = true
  handlers.onOpen()
  // socket.io replays nothing after a loss: the data is kept, and the gap said.
  if (member.lost) handlers.onGap(false)
  member.away = member.lost = false
  for (const value of member.held.splice(0)) {
    handlers.onMessage({ value, event: member.event, id: null })
  }
}

/** The socket went down: every source on it is told, and reconnects on its own schedule. */
function drop(link: Link, error: LiveDataError): void {
  link.connecting = false
  const told: TransportHandlers[] = []
  for (const [key, member] of link.members) {
    if (member.handlers) told.push(member.handlers)
    member.away ||= member.open
    member.open = false
    member.handlers = null
    if (!member.away) link.members.delete(key)
  }
  // After the bookkeeping: each onClose closes its connection at once, which must find it gone.
  for (const handlers of told) handlers.onClose(error)
}

function createLink(
  context: TransportContext,
  options: SocketIoTransportOptions,
  key: string,
): Link {
  const { io = defaultIo, ack: _ack, ...socketOptions } = options
  // Our connection is the one reconnection policy (backoff, online, visibility): socket.io's is
  // off, and we reconnect this same Socket, whose session id lets the server recover its state.
  const socket = io(context.url, {
    ...socketOptions,
    forceNew: true,
    autoConnect: false,
    reconnection: false,
  })
  const link: Link = { socket, members: new Map(), connecting: false, left: new Set() }
  context.shared.set(key, link)

  socket.onAny((event: string, ...args: unknown[]) => {
    for (const member of link.members.values()) {
      if (member.event !== event) continue
      if (member.open) {
        member.handlers?.onMessage({ value: args[0], event, id: null })
      } else if (member.held.push(args[0]) > MAX_HELD) {
        member.held = []
        member.lost = true
      }
    }
  })
  socket.on('connect', () => {
    link.connecting = false
    // Not recovered (recovery off, or the server forgot the session): what was emitted while a
    // source was away is gone. socket.io replays it otherwise, before any new event.
    for (const member of link.members.values()) {
      if (member.away && !socket.recovered) member.lost = true
    }
    for (const member of [...link.members.values()]) open(member)
  })
  socket.on('connect_error', (cause) => {
    // An `active` socket failed to reach the server; an inactive one was refused by its middleware,
    // which socket.io never retries either.
    drop(
      link,
      socket.active
        ? new LiveDataError('ERR_NETWORK', `Cannot connect to ${context.url}: ${cause.message}`, {
            cause,
          })
        : // Refused by its middleware (an expired token, say): tried again with backoff, so an
          // `auth` callback gets the chance to hand over a fresh one.
          new LiveDataError('ERR_REFUSED', `The server refused the socket: ${cause.message}`, {
            cause,
          }),
    )
  })
  socket.on('disconnect', (reason) => {
    if (reason === 'io client disconnect') return
    // The server's own `socket.disconnect()` means "go away": socket.io does not come back either.
    drop(
      link,
      new LiveDataError('ERR_CONNECTION_LOST', `The socket.io connection closed (${reason})`, {
        retryable: reason !== 'io server disconnect',
      }),
    )
  })
  return link
}

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
  const ack = options.ack ?? false
  return {
    name: 'socket.io',
    // socket.io pings on its own and reports a dead connection as a `ping timeout` disconnect.
    heartbeat: false,
    connect(context, handlers) {
      const key = `socket.io#${instance} ${options.path ?? '/socket.io'} ${context.url}`
      const link =
        (context.shared.get(key) as Link | undefined) ?? createLink(context, options, key)
      const { socket, members } = link
      const event = context.event ?? 'message'
      // A source coming back finds its place, with what was kept for it while it was away.
      const member: Member = members.get(context.key) ?? {
        event,
        handlers,
        open: false,
        held: [],
        away: false,
        lost: link.left.delete(context.key),
      }
      member.handlers = handlers
      members.set(context.key, member)
      if (socket.connected) {
        // Later than now: the connection keeps this transport's handle only once connect returns.
        queueMicrotask(() => {
          if (member.handlers === handlers && socket.connected) open(member)
        })
      } else if (!link.connecting) {
        link.connecting = true
        socket.connect()
      }
      return {
        close(reason) {
          if (member.handlers !== handlers) return
          // A connect that never completes (a middleware that hangs) is started over, for all.
          if (reason?.code === 'ERR_OPEN_TIMEOUT' && !socket.connected) {
            socket.disconnect()
            drop(link, reason)
            return
          }
          if (member.open) link.left.add(context.key)
          member.handlers = null
          // One that was open leaves for good; one still (re)connecting may come back for more.
          if (member.open || !member.away) members.delete(context.key)
          member.open = false
          for (const other of members.values()) if (other.handlers) return
          // The last source let go: so does the socket. Whoever is away misses what comes next.
          link.connecting = false
          socket.disconnect()
          for (const other of members.values()) other.lost = true
          if (members.size === 0) context.shared.delete(key)
        },
        send(data, sendEvent) {
          return emitSend(socket, sendEvent ?? event, data, ack, context.sendTimeout)
        },
      }
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
