import { LiveDataError } from '../errors'
import { ClientFrameType, ServerFrameType, WireError } from '../protocol'
import { isPassingStatus, serverError, statusOfCode } from '../server-error'
import type {
  TransportConnection,
  TransportContext,
  TransportDefinition,
  TransportHandlers,
} from '../types'

/** The part of the WebSocket API this transport uses; the browser's and `ws` both have it. */
interface Socket {
  readonly readyState: number
  onopen: (() => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: (() => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

type SocketConstructor = new (url: string) => Socket

const OPEN = 1

/**
 * Where a client remembers the last socket whose hello the server refused: its key (URL and
 * headers) and the error. One entry, so that headers made afresh for every connect cost nothing.
 */
const REFUSAL = 'hello refused'

/** Frames of @livedata/server; see docs/protocol.md. */
interface ServerFrame {
  type?: string
  channel?: string
  cursor?: string
  id?: string
  event?: string
  data?: unknown
  ref?: number
  code?: string
  message?: string
}

/** One channel's share of the client's socket. */
interface Subscription {
  handlers: TransportHandlers
  lastEventId: string | null
  /** The backlog to ask for when there is no id to resume after. */
  replay: number | undefined
}

/** The one socket a client opens to @livedata/server, carrying every channel. */
interface Multiplexer {
  key: string
  socket: Socket
  open: boolean
  subscriptions: Map<string, Subscription>
  pending: Map<number, { channel: string; settle(error?: LiveDataError): void }>
  nextRef: number
}

/** Opens a socket, or throws: the connection then moves on to the next transport. */
function openSocket(context: TransportContext, url: string): Socket {
  const Constructor = context.WebSocket as SocketConstructor | undefined
  if (typeof Constructor !== 'function') {
    throw new LiveDataError(
      'ERR_UNSUPPORTED',
      'No WebSocket here: pass createLiveClient({ WebSocket }) (in Node, from "ws")',
      { retryable: false },
    )
  }
  try {
    return new Constructor(url)
  } catch (cause) {
    throw new LiveDataError('ERR_NETWORK', `Cannot open ${url}`, { cause, retryable: false })
  }
}

/** The ws:// or wss:// URL of a base URL, resolved against the page for a relative one. */
function socketUrl(base: string): string {
  const page = (globalThis as { location?: { href: string } }).location?.href
  const url = new URL(base, page)
  url.protocol =
    url.protocol === 'https:' ? 'wss:' : url.protocol === 'http:' ? 'ws:' : url.protocol
  return url.href
}

const lost = (code: number, opened: boolean): LiveDataError =>
  new LiveDataError(
    opened ? 'ERR_CONNECTION_LOST' : 'ERR_NETWORK',
    `The WebSocket ${opened ? 'closed' : 'failed to open'} (code ${code})`,
  )

function multiplexer(context: TransportContext): Multiplexer {
  const url = socketUrl(context.baseUrl)
  // Sources share a socket when they would open the same one: the same URL (with its query) and
  // the same credentials. After a token refresh, sources move to a new socket as they reconnect,
  // and the old one closes when the last of them has left.
  const key = `websocket ${url} ${JSON.stringify(context.headers)}`
  const existing = context.shared.get(key) as Multiplexer | undefined
  if (existing) return existing
  const refusal = context.shared.get(REFUSAL) as { key: string; error: LiveDataError } | undefined
  if (refusal?.key === key) throw refusal.error
  const socket = openSocket(context, url)
  const mux: Multiplexer = {
    key,
    socket,
    open: false,
    subscriptions: new Map(),
    pending: new Map(),
    nextRef: 0,
  }
  context.shared.set(key, mux)
  socket.onopen = () => {
    mux.open = true
    // What a browser cannot put on the upgrade: the server applies it to every frame after it.
    if (Object.keys(context.headers).length > 0) {
      socket.send(JSON.stringify({ type: ClientFrameType.Hello, headers: context.headers }))
    }
    for (const [channel, subscription] of mux.subscriptions) {
      subscribeFrame(mux, channel, subscription)
    }
  }
  socket.onmessage = ({ data }) => {
    let frame: ServerFrame
    const text = String(data)
    try {
      if (text.length > context.maxMessageSize) throw new Error('too large')
      frame = JSON.parse(text) ?? {}
    } catch {
      for (const { handlers } of mux.subscriptions.values()) {
        handlers.onError(new LiveDataError('ERR_PARSE', 'A frame from the server was skipped'))
      }
      return
    }
    for (const { handlers } of mux.subscriptions.values()) handlers.onActivity()
    const target = frame.channel === undefined ? undefined : mux.subscriptions.get(frame.channel)
    const handlers = target?.handlers
    switch (frame.type) {
      case ServerFrameType.Subscribed:
        handlers?.onOpen()
        if (frame.cursor) handlers?.onCursor(frame.cursor)
        break
      case ServerFrameType.Message:
        handlers?.onMessage({
          value: frame.data,
          event: frame.event ?? 'message',
          id: frame.id ?? null,
        })
        break
      case ServerFrameType.Gap:
        handlers?.onGap()
        break
      case ServerFrameType.Ack:
        mux.pending.get(frame.ref as number)?.settle()
        break
      case ServerFrameType.Error:
        routeError(mux, context, frame)
    }
  }
  socket.onclose = ({ code }) => drop(mux, context, lost(code, mux.open))
  socket.onerror = () => {}
  return mux
}

/**
 * An `error` frame answers what it names (docs/protocol.md): with `ref`, that send fails; with a
 * channel and no ref, that subscription is refused (for good if the server said no, with backoff
 * if `authorize` failed, else the next transport is tried); `ERR_INVALID_HELLO`, the server
 * refused the hello's headers: the socket cannot work with them, every channel on it moves to
 * the next transport; with neither, a frame the server could not place: each channel hears of
 * it, nothing closes.
 */
function routeError(mux: Multiplexer, context: TransportContext, frame: ServerFrame): void {
  const said = {
    code: typeof frame.code === 'string' ? frame.code.slice(0, 64) : undefined,
    message: typeof frame.message === 'string' ? frame.message.slice(0, 300) : undefined,
  }
  // The same answer reads the same as over HTTP: a refusal is its 403, a failed authorize its 503.
  const status = statusOfCode(said.code)
  const passing = isPassingStatus(status ?? 0)
  if (frame.ref !== undefined) {
    const pending = mux.pending.get(frame.ref)
    const subject = `a send on "${pending?.channel}"`
    pending?.settle(serverError('ERR_SEND_FAILED', subject, status, said, passing))
    return
  }
  if (frame.channel !== undefined) {
    const code = status ? 'ERR_HTTP_STATUS' : 'ERR_REFUSED'
    const refused = serverError(code, `"${frame.channel}"`, status, said, passing)
    mux.subscriptions.get(frame.channel)?.handlers.onClose(refused)
    return
  }
  if (said.code === WireError.InvalidHello) {
    const refused = serverError('ERR_REFUSED', "the WebSocket's hello", undefined, said, false)
    // Remembered for these headers on this client: the next connect moves on at once, without
    // an upgrade that would be refused the same way. New headers, or client.reconnect(), try again.
    context.shared.set(REFUSAL, { key: mux.key, error: refused })
    return drop(mux, context, refused)
  }
  const error = serverError('ERR_REFUSED', 'a frame of this client', undefined, said, true)
  for (const { handlers } of mux.subscriptions.values()) handlers.onError(error)
}

/**
 * Ends a socket for every channel on it, at once: the shared entry goes (so a reconnect opens a
 * new socket), waiting sends fail, and each subscription is told, to reconnect on its own.
 */
function drop(
  mux: Multiplexer,
  context: TransportContext,
  error: LiveDataError,
  code = 4000,
): void {
  if (context.shared.get(mux.key) === mux) context.shared.delete(mux.key)
  mux.socket.onclose = null
  mux.socket.close(code, code === 1000 ? undefined : error.code)
  for (const { settle } of mux.pending.values()) settle(error)
  const subscriptions = [...mux.subscriptions.values()]
  mux.subscriptions.clear()
  for (const { handlers } of subscriptions) handlers.onClose(error)
}

function subscribeFrame(mux: Multiplexer, channel: string, subscription: Subscription): void {
  const { lastEventId, replay } = subscription
  const frame = {
    type: ClientFrameType.Subscribe,
    channel,
    lastEventId,
    replay: lastEventId ? undefined : replay,
  }
  mux.socket.send(JSON.stringify(frame))
}

/** A plain WebSocket nobody wrote for @livedata: each text frame is a message. */
function plainSocket(context: TransportContext, handlers: TransportHandlers): TransportConnection {
  const socket = openSocket(context, context.url)
  let opened = false
  socket.onopen = () => {
    opened = true
    handlers.onOpen()
  }
  socket.onmessage = ({ data }) => {
    handlers.onActivity()
    if (typeof data !== 'string') {
      handlers.onError(new LiveDataError('ERR_PARSE', 'A binary frame was skipped: text only'))
    } else if (data.length > context.maxMessageSize) {
      handlers.onError(new LiveDataError('ERR_MESSAGE_TOO_LARGE', 'A frame was too large'))
    } else {
      handlers.onMessage({ text: data, event: 'message', id: null })
    }
  }
  socket.onclose = ({ code }) => handlers.onClose(lost(code, opened))
  socket.onerror = () => {}
  return {
    close() {
      socket.onclose = null
      socket.close(1000)
    },
    async send(data) {
      if (socket.readyState !== OPEN) throw new LiveDataError('ERR_SEND_FAILED', 'Not open')
      socket.send(typeof data === 'string' ? data : JSON.stringify(data))
    },
  }
}

/**
 * WebSocket. Against @livedata/server, one socket per client carries every channel its sources
 * use (subscribe/unsubscribe frames) and sends are acknowledged by the server; against a plain
 * `ws:` URL, each text frame is a message and `send` writes a frame.
 *
 * @example
 * ```ts
 * import { createLiveClient, websocket, sse } from '@livedata/core/base'
 * const client = createLiveClient({ url: '/live', transports: [websocket, sse] })
 * ```
 */
export const websocket: TransportDefinition = {
  name: 'websocket',
  connect(context, handlers) {
    if (!context.channel) return plainSocket(context, handlers)
    const mux = multiplexer(context)
    const channel = context.key
    const subscription: Subscription = {
      handlers,
      lastEventId: context.lastEventId,
      replay: context.replay,
    }
    mux.subscriptions.set(channel, subscription)
    if (mux.open) subscribeFrame(mux, channel, subscription)
    return {
      close(reason) {
        if (mux.subscriptions.get(channel) !== subscription) return
        // The connection gave up on the socket itself: silence on one channel is silence on the
        // socket, and a socket that never opened (a proxy holding the upgrade) never will. Every
        // channel on it reconnects, on a new one.
        const gaveUp =
          reason?.code === 'ERR_HEARTBEAT_TIMEOUT' ||
          (reason?.code === 'ERR_OPEN_TIMEOUT' && !mux.open)
        if (gaveUp) return drop(mux, context, reason)
        mux.subscriptions.delete(channel)
        if (mux.subscriptions.size > 0) {
          if (mux.open)
            mux.socket.send(JSON.stringify({ type: ClientFrameType.Unsubscribe, channel }))
          return
        }
        // The last channel let go: so does the socket, and sends still waiting for an answer fail.
        drop(mux, context, new LiveDataError('ERR_SEND_FAILED', 'The WebSocket was closed'), 1000)
      },
      send(data, event) {
        return new Promise<void>((resolve, reject) => {
          if (!mux.open || mux.socket.readyState !== OPEN) {
            return reject(new LiveDataError('ERR_SEND_FAILED', 'The WebSocket is not open'))
          }
          const ref = ++mux.nextRef
          const timer = context.timers.setTimeout(() => {
            const message = `No answer to a send on "${channel}" within ${context.sendTimeout} ms`
            mux.pending.get(ref)?.settle(new LiveDataError('ERR_SEND_TIMEOUT', message))
          }, context.sendTimeout)
          mux.pending.set(ref, {
            channel,
            settle(error) {
              mux.pending.delete(ref)
              context.timers.clearTimeout(timer)
              error ? reject(error) : resolve()
            },
          })
          mux.socket.send(JSON.stringify({ type: ClientFrameType.Send, channel, data, event, ref }))
        })
      },
    }
  },
}
