import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { type WebSocket, WebSocketServer } from 'ws'
import type { Channel, Subscriber } from '../channel'
import { type FrameProblem, readClientFrame } from '../client-frames'
import { LiveServerError, type LiveServerErrorCode } from '../errors'
import { jsonFrame } from '../frames'
import { type HeaderMap, headersOf, overlay } from '../headers'
import type { StoredMessage } from '../history'
import type { Hub, LiveConnection } from '../hub'
import { Outbox } from '../outbox'

/** The WebSocket frame of a message, built once and shared by every socket. */
function wsFrame(message: StoredMessage): string {
  message.wsFrame ??= `{"type":"message","channel":${JSON.stringify(message.channel)},${jsonFrame(message).slice(1)}`
  return message.wsFrame
}

/** Frames a client may have waiting to be handled before it is cut off. */
const MAX_PENDING_FRAMES = 256
/** Channels one socket may follow at once. */
const MAX_SUBSCRIPTIONS = 1000
/** Pings a peer may leave unanswered: a server busy for a moment must not cut honest clients. */
const MAX_UNANSWERED_PINGS = 2
/** How long a socket closed for misbehaving gets to take its close frame before it is cut. */
const CLOSE_GRACE = 1000

/** What an error frame answers: a send (`ref`) or a subscribe (`channel`). */
type Answers = { ref?: number; channel?: string }

/** One client socket, carrying any number of channel subscriptions. */
class WebSocketConnection implements LiveConnection {
  private readonly subscriptions = new Map<string, { channel: Channel; subscriber: Subscriber }>()
  private unanswered = 0
  private received = 0
  private closed = false
  /** The `hello` frame's headers; merged over the upgrade's only when asked, to keep idle sockets small. */
  private hello: HeaderMap | null = null
  /** The client's address, read now: a closed socket forgets it. */
  private readonly address: string | undefined
  // Frames are handled one after the other: authorize is async, and an unsubscribe must not
  // overtake the subscribe before it, nor a subscribe the hello before it.
  private queue: Promise<void> = Promise.resolve()
  private pending = 0
  /** Messages, and every other frame the server writes: one byte budget for all of them. */
  private readonly outbox: Outbox<StoredMessage | string>

  constructor(
    private readonly socket: WebSocket,
    private readonly request: IncomingMessage,
    private readonly hub: Hub,
  ) {
    this.address = request.socket?.remoteAddress
    // ws has no drain event: while frames wait, look again every few milliseconds. A callback
    // on every send would cost each message a closure, which is what throughput pays for.
    const pumpSoon = (): void => {
      setTimeout(() => {
        if (socket.readyState !== socket.OPEN) return
        this.outbox.pump()
        if (this.outbox.waiting > 0) pumpSoon()
      }, 5)
    }
    this.outbox = new Outbox<StoredMessage | string>(
      {
        send: (item) => {
          if (socket.readyState === socket.OPEN) {
            socket.send(typeof item === 'string' ? item : wsFrame(item))
          }
        },
        buffered: () => socket.bufferedAmount,
        // A client that cannot keep up is cut off; it resumes from its last id later.
        overflow: () => this.cut('ERR_SLOW_CLIENT', 'it fell too far behind; it may resume later'),
        wait: pumpSoon,
      },
      hub.settings.maxBufferedBytes,
      hub.settings.maxBacklog,
    )
    socket.on('message', (data, isBinary) => this.receive(data, isBinary))
    socket.on('pong', () => {
      this.unanswered = 0
    })
    socket.on('close', () => this.cleanup())
    socket.on('error', () => this.cleanup())
  }

  private receive(data: unknown, isBinary: boolean): void {
    if (this.closed) return
    const first = ++this.received === 1
    // A client that sends faster than its frames are handled is cut off, not queued forever.
    if (++this.pending > MAX_PENDING_FRAMES) {
      this.cut('ERR_TOO_MANY', 'more than 256 frames waiting to be handled')
      return
    }
    const text = isBinary ? null : String(data)
    this.queue = this.queue.then(async () => {
      try {
        await this.onFrame(text, first)
      } catch (error) {
        this.fail(error)
      }
      this.pending--
    })
  }

  /** Something threw while handling this socket's frame: the server's fault, this socket ends. */
  private fail(error: unknown): void {
    try {
      this.report('ERR_INTERNAL', 'handling a WebSocket frame failed; the socket was closed', {
        client: false,
        cause: error,
      })
      this.cut(null, 'internal error', 1011)
    } catch {
      this.socket.terminate()
    }
  }

  private report(
    code: LiveServerErrorCode,
    message: string,
    { client, channel, cause }: { client: boolean; channel?: string; cause?: unknown },
  ): void {
    const error = new LiveServerError(code, message, cause === undefined ? undefined : { cause })
    const { request, address } = this
    this.hub.report(error, { client, channel, transport: 'websocket', request, address })
  }

  /**
   * Closes the socket for misbehaving (1008, or `status`), reporting `code` if given, and lets go
   * of its channels now; a peer that does not take the close frame is cut a moment later.
   * `reason` is one of our own short ASCII sentences: a close reason holds at most 123 bytes.
   */
  private cut(code: LiveServerErrorCode | null, reason: string, status = 1008): void {
    if (this.closed) return
    if (code !== null) {
      this.report(code, `WebSocket closed: ${reason}`, { client: true })
    }
    this.cleanup()
    this.socket.close(status, reason)
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE).unref()
  }

  /** Answers a frame with an error, through the byte budget. */
  private error(code: LiveServerErrorCode, message: string, answers: Answers = {}): void {
    this.outbox.push(JSON.stringify({ type: 'error', code, message, ...answers }))
  }

  /** Answers a frame the server cannot use; a peer that does not read its answers is cut. */
  private refuse(problem: FrameProblem): void {
    const { message, fatal, ...answers } = problem
    this.report('ERR_INVALID_FRAME', message, { client: true, channel: answers.channel })
    if (this.outbox.full) {
      this.cut('ERR_SLOW_CLIENT', 'answers to its bad frames pile up unread')
      return
    }
    this.error('ERR_INVALID_FRAME', message, answers)
    if (fatal) this.cut(null, 'invalid hello frame')
  }

  private async onFrame(text: string | null, first: boolean): Promise<void> {
    if (this.closed) return
    if (text === null) return this.refuse({ message: 'frames must be text, not binary' })
    const reading = readClientFrame(text)
    if ('problem' in reading) return this.refuse(reading.problem)
    const { frame } = reading
    if (frame.type === 'hello') {
      if (!first) {
        return this.refuse({ message: 'a hello frame must be the first frame', fatal: true })
      }
      this.hello = frame.headers
      return
    }
    const { channel } = frame
    if (frame.type === 'unsubscribe') {
      const subscription = this.subscriptions.get(channel)
      this.subscriptions.delete(channel)
      subscription?.channel.unsubscribe(subscription.subscriber)
      return
    }
    const action = frame.type === 'send' ? 'send' : 'subscribe'
    const upgrade = headersOf(this.request)
    const headers = this.hello === null ? upgrade : overlay(upgrade, this.hello)
    const allowed = await this.hub.authorize({
      channel,
      action,
      transport: 'websocket',
      headers,
      request: this.request,
    })
    if (this.closed) return
    if (frame.type === 'send') {
      const ref = { ref: frame.ref }
      if (!allowed) {
        return this.error('ERR_FORBIDDEN', `Sending on "${channel}" is not allowed`, ref)
      }
      try {
        await this.hub.receive(channel, frame.data, {
          event: frame.event,
          transport: 'websocket',
          headers,
          request: this.request,
        })
      } catch {
        return this.error('ERR_LISTENER', 'The server failed to take the message', ref)
      }
      return this.outbox.push(`{"type":"ack","ref":${frame.ref}}`)
    }
    if (!allowed) {
      return this.error('ERR_FORBIDDEN', `Access to "${channel}" is not allowed`, { channel })
    }
    if (this.subscriptions.has(channel) || this.closed) return
    if (this.subscriptions.size >= MAX_SUBSCRIPTIONS) {
      const message = `At most ${MAX_SUBSCRIPTIONS} channels per socket`
      this.report('ERR_TOO_MANY', message, { client: true, channel })
      return this.error('ERR_TOO_MANY', message, { channel })
    }
    const subscriber: Subscriber = { deliver: (message) => this.outbox.push(message) }
    const target = this.hub.channel(channel)
    this.subscriptions.set(channel, { channel: target, subscriber })
    const { lastEventId, replay: backlog } = frame
    const replay = target.subscribe(subscriber, { lastEventId, replay: backlog })
    // A fresh subscriber learns where it stands; a resuming one (or one given a backlog) knows.
    const cursor = replay.tellCursor ? `,"cursor":"${replay.cursor}"` : ''
    const name = JSON.stringify(channel)
    this.outbox.push(`{"type":"subscribed","channel":${name}${cursor}}`)
    if (replay.gap) this.outbox.push(`{"type":"gap","channel":${name}}`)
    for (const message of replay.messages) subscriber.deliver(message)
  }

  /**
   * Pings at the protocol level, and in-band when nothing else is on its way. A socket that
   * answered none of the last two pings is dead: a pong may be up to two intervals late.
   */
  heartbeat(): void {
    if (this.closed) return
    if (this.unanswered >= MAX_UNANSWERED_PINGS) {
      this.close()
      return
    }
    this.unanswered++
    this.socket.ping()
    if (this.outbox.waiting === 0) this.outbox.push('{"type":"heartbeat"}')
  }

  private cleanup(): void {
    this.closed = true
    for (const { channel, subscriber } of this.subscriptions.values()) {
      channel.unsubscribe(subscriber)
    }
    this.subscriptions.clear()
    this.hub.connections.delete(this)
  }

  close(): void {
    this.cleanup()
    this.socket.terminate()
  }
}

/** The WebSocket endpoint: upgrades at the base path, one socket per client for every channel. */
export function createWebSocketEndpoint(hub: Hub) {
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: hub.settings.maxPayload + 1024,
    perMessageDeflate: false,
  })
  return {
    upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
      server.handleUpgrade(request, socket, head, (ws) => {
        ws.binaryType = 'nodebuffer'
        hub.connections.add(new WebSocketConnection(ws, request, hub))
      })
    },
    close(): void {
      server.close()
    },
  }
}
