import { LiveDataError } from '../errors'
import { Link, type LinkMember } from '../link'
import { ClientFrameType, ServerFrameType, WireError } from '../protocol'
import { channelRefusal, isPassingStatus, saidBy, serverError, statusOfCode } from '../server-error'
import type {
  TransportConnection,
  TransportContext,
  TransportDefinition,
  TransportHandlers,
  WebSocketLike,
} from '../types'

type SocketConstructor = new (url: string) => WebSocketLike

const OPEN = 1

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

/** Opens a socket, or throws: the connection then moves on to the next transport. */
function openSocket(context: TransportContext, url: string): WebSocketLike {
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

/**
 * The ws:// or wss:// URL of a base URL, resolved against the page for a relative one; `batch`
 * (for @livedata/server) tells the server the longest frame holding several that we read.
 */
function socketUrl(base: string, batch?: number): string {
  const page = (globalThis as { location?: { href: string } }).location?.href
  const url = new URL(base, page)
  url.protocol =
    url.protocol === 'https:' ? 'wss:' : url.protocol === 'http:' ? 'ws:' : url.protocol
  if (batch) url.searchParams.set('batch', String(batch))
  return url.href
}

const lost = (code: number, opened: boolean): LiveDataError =>
  new LiveDataError(
    opened ? 'ERR_CONNECTION_LOST' : 'ERR_NETWORK',
    `The WebSocket ${opened ? 'closed' : 'failed to open'} (code ${code})`,
  )

/**
 * The one socket a client opens to @livedata/server, carrying every channel its sources follow:
 * a member joining sends `subscribe` (with its cursor), leaving `unsubscribe`; sends are
 * acknowledged by `ref`.
 */
class SocketLink extends Link {
  private readonly socket: WebSocketLike
  private readonly pending = new Map<
    number,
    { channel: string; settle(error?: LiveDataError): void }
  >()
  private nextRef = 0

  constructor(private readonly context: TransportContext) {
    super()
    const socket = openSocket(context, socketUrl(context.baseUrl, context.maxMessageSize))
    this.socket = socket
    socket.onopen = () => {
      this.connected = true
      // What a browser cannot put on the upgrade: the server applies it to every frame after it.
      if (Object.keys(context.headers).length > 0) {
        socket.send(JSON.stringify({ type: ClientFrameType.Hello, headers: context.headers }))
      }
      for (const member of this.members.values()) this.subscribe(member)
    }
    socket.onmessage = ({ data }) => this.read(String(data))
    socket.onclose = ({ code }) => this.fail(lost(code, this.wasOpen))
    socket.onerror = () => {}
  }

  protected joined(member: LinkMember): void {
    if (this.wasOpen) this.subscribe(member)
  }

  protected left(member: LinkMember): void {
    const { channel } = member
    if (this.wasOpen)
      this.socket.send(JSON.stringify({ type: ClientFrameType.Unsubscribe, channel }))
  }

  protected ended(error: LiveDataError | undefined): void {
    const { socket } = this
    socket.onclose = null
    socket.close(error ? 4000 : 1000, error?.code)
    // The last channel let go, or the socket failed: sends still waiting for an answer fail.
    const reason = error ?? new LiveDataError('ERR_SEND_FAILED', 'The WebSocket was closed')
    for (const { settle } of this.pending.values()) settle(reason)
  }

  protected override connectionOf(member: LinkMember): TransportConnection {
    return {
      ...super.connectionOf(member),
      send: (data, event, key) => this.send(member, data, event, key),
    }
  }

  private subscribe({ channel, cursor, replay }: LinkMember): void {
    const frame = {
      type: ClientFrameType.Subscribe,
      channel,
      lastEventId: cursor,
      replay: cursor ? undefined : replay,
    }
    this.socket.send(JSON.stringify(frame))
  }

  /** A text frame: one server frame, or an array of them (the messages of one tick). */
  private read(text: string): void {
    let frames: ServerFrame | ServerFrame[]
    try {
      if (text.length > this.context.maxMessageSize) throw new Error('too large')
      frames = JSON.parse(text) ?? {}
    } catch {
      return this.error(new LiveDataError('ERR_PARSE', 'A frame from the server was skipped'))
    }
    this.activity()
    if (!Array.isArray(frames)) return this.frame(frames)
    for (const frame of frames) this.frame(frame ?? {})
  }

  private frame(frame: ServerFrame): void {
    const channel = typeof frame.channel === 'string' ? frame.channel : ''
    switch (frame.type) {
      case ServerFrameType.Subscribed:
        this.open(channel)
        if (typeof frame.cursor === 'string') this.cursor(channel, frame.cursor)
        return
      case ServerFrameType.Message:
        return this.deliver(channel, {
          value: frame.data,
          event: frame.event ?? 'message',
          id: frame.id ?? null,
        })
      case ServerFrameType.Gap:
        return this.gap(channel)
      case ServerFrameType.Ack:
        return this.pending.get(frame.ref as number)?.settle()
      case ServerFrameType.Error:
        return this.refusal(frame)
    }
  }

  /**
   * An `error` frame answers what it names (docs/protocol.md): with `ref`, that send fails; with
   * a channel and no ref, that subscription is refused; `ERR_INVALID_HELLO`, the server refused
   * the hello's headers: the socket cannot work with them, every channel on it moves to the next
   * transport; with neither, a frame the server could not place: each channel hears of it.
   */
  private refusal(frame: ServerFrame): void {
    const said = saidBy(frame)
    if (frame.ref !== undefined) {
      const pending = this.pending.get(frame.ref)
      const status = statusOfCode(said.code)
      const subject = `a send on "${pending?.channel}"`
      pending?.settle(
        serverError('ERR_SEND_FAILED', subject, status, said, isPassingStatus(status ?? 0)),
      )
      return
    }
    if (frame.channel !== undefined)
      return this.refuse(frame.channel, channelRefusal(frame.channel, said))
    if (said.code === WireError.InvalidHello) {
      const refused = serverError('ERR_REFUSED', "the WebSocket's hello", undefined, said, false)
      // Remembered for these headers on this client: the next connect moves on at once, without
      // an upgrade that would be refused the same way. New headers, or client.reconnect(), try again.
      this.pool?.refuse(this.key, refused)
      return this.fail(refused)
    }
    this.error(serverError('ERR_REFUSED', 'a frame of this client', undefined, said, true))
  }

  private send(
    member: LinkMember,
    data: unknown,
    event: string | undefined,
    key: string | undefined,
  ): Promise<void> {
    const { channel } = member
    const { timers, sendTimeout } = this.context
    return new Promise<void>((resolve, reject) => {
      if (!this.wasOpen || this.done || this.socket.readyState !== OPEN) {
        return reject(new LiveDataError('ERR_CONNECTION_LOST', 'The WebSocket is not open'))
      }
      const ref = ++this.nextRef
      const timer = timers.setTimeout(() => {
        const message = `No answer to a send on "${channel}" within ${sendTimeout} ms`
        this.pending.get(ref)?.settle(new LiveDataError('ERR_SEND_TIMEOUT', message))
      }, sendTimeout)
      this.pending.set(ref, {
        channel,
        settle: (error) => {
          this.pending.delete(ref)
          timers.clearTimeout(timer)
          error ? reject(error) : resolve()
        },
      })
      const frame = { type: ClientFrameType.Send, channel, data, event, ref, key }
      this.socket.send(JSON.stringify(frame))
    })
  }
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
    // Sources share a socket when they would open the same one: the same URL (with its query)
    // and the same credentials. After a token refresh, sources move to a new socket as they
    // reconnect, and the old one closes when the last of them has left.
    const key = `websocket ${context.baseUrl} ${JSON.stringify(context.headers)}`
    return context.links.get(key, () => new SocketLink(context)).attach(context, handlers)
  },
}
