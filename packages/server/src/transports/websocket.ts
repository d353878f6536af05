import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { refusalOf } from '../authorization'
import { batchLimitOf, forEachBatch } from '../batch-limit'
import type { Channel, Subscriber } from '../channel'
import { type FrameProblem, readClientFrame } from '../client-frames'
import { LiveServerError, type LiveServerErrorCode } from '../errors'
import { socketFrame } from '../frames'
import { type HeaderMap, headersOf } from '../headers'
import { pickHello, withHello } from '../hello-headers'
import type { StoredMessage } from '../history'
import type { Hub, LiveConnection } from '../hub'
import { Inbox, type InboxLimits, type InboxTarget } from '../inbox'
import { jsonSize } from '../json-size'
import { LiveWebSocket, listen, nodeSocket } from '../node-socket'
import { Outbox, type OutboxTarget } from '../outbox'
import { frameStart, type WireErrorCode } from '../protocol'
import { quote } from '../quote'
import type { PreparedChannels } from '../replicas'
import type { ServerSocket, SocketEvents } from '../server-socket'
import { sharedJoin } from '../shared-join'
import { destroyOnError, KeptUpgrade } from '../upgrade'

const joinFrames = sharedJoin('[', ',', ']')

/**
 * Sends the frames of one tick: to a client that reads batches, as JSON arrays of frames each at
 * most `limit` characters long (a frame longer than that goes alone, as it is); otherwise one
 * frame each.
 */
function sendFrames(socket: ServerSocket, frames: string[], limit: number): void {
  if (frames.length === 1 || limit === 0) {
    for (const frame of frames) socket.send(frame)
    return
  }
  // `[` and `]` take two characters of the limit.
  forEachBatch(frames, 0, frames.length, limit - 2, (start, end) =>
    sendBatch(socket, frames, start, end),
  )
}

function sendBatch(socket: ServerSocket, frames: string[], start: number, end: number): void {
  if (end - start === 1) socket.send(frames[start] as string)
  else
    socket.send(
      joinFrames(start === 0 && end === frames.length ? frames : frames.slice(start, end)),
    )
}

/** Frames waiting to be handled at which the peer is paused (it resumes at half). */
const PAUSE_FRAMES = 256
/** Bytes waiting to be handled at which the peer is paused, at least (it resumes at half). */
const PAUSE_BYTES = 1024 * 1024
/** What a frame may carry besides its data: the type, channel, event and ref. */
const ENVELOPE = 1024
/** Longest close reason a close frame holds, in bytes. */
const MAX_REASON = 123
/** Channels one socket may follow at once. */
const MAX_SUBSCRIPTIONS = 1000
/** Pings a peer may leave unanswered: a server busy for a moment must not cut honest clients. */
const MAX_UNANSWERED_PINGS = 2
/** How long a socket closed for misbehaving gets to take its close frame before it is cut. */
const CLOSE_GRACE = 1000

/** What an error frame answers: a send (`ref`) or a subscribe (`channel`). */
type Answers = { ref?: number; channel?: string }

const encoder = new TextEncoder()

/** `text` cut to what a close frame's reason holds (123 bytes), on a character boundary. */
function closeReason(text: string): string {
  let reason = text.slice(0, MAX_REASON)
  while (encoder.encode(reason).length > MAX_REASON) reason = reason.slice(0, -1)
  return reason
}

/** The largest frame a socket takes, in bytes: room for a send a little over maxPayload. */
export function maxFrameSize(maxPayload: number): number {
  return 4 * maxPayload + ENVELOPE
}

/** What one server's sockets share. */
interface Shared {
  hub: Hub
  /** When a socket's waiting frames pause it. */
  limits: InboxLimits
  /** Hello header names already reported as ignored: each is reported once, at most 64. */
  ignoredHello: Set<string>
}

/**
 * When a socket's frames waiting to be handled pause it: 256 frames, or `max(1 MiB, 4 ×
 * maxPayload)` bytes. Paused, a peer adds at most one frame and one socket read; four times the
 * pause is far past that, so the hard cut is reached only if pausing failed to stop it.
 */
function inboxLimits(maxPayload: number): InboxLimits {
  const bytes = Math.max(PAUSE_BYTES, 4 * maxPayload)
  return { frames: PAUSE_FRAMES, bytes, hardBytes: 4 * bytes }
}

/**
 * One client socket, carrying any number of channel subscriptions. It is its own inbox's target
 * and the subscriber of every channel it follows (no closures per socket: idle sockets stay
 * small).
 */
class WebSocketConnection
  implements
    LiveConnection,
    InboxTarget<string | null>,
    OutboxTarget<StoredMessage | string>,
    SocketEvents,
    Subscriber
{
  /**
   * The channels followed: none, the one most sockets follow, or by name once there are two or
   * more (a Map costs an idle socket some 200 bytes).
   */
  private subscriptions: Channel | Map<string, Channel> | null = null
  private unanswered = 0
  private handled = 0
  private ended = false
  /**
   * The `hello` frame's allowed headers; added to the upgrade's only when asked, to keep idle
   * sockets small.
   */
  private hello: HeaderMap | null = null
  private readonly hub: Hub
  /** The longest batch frame the client reads (its upgrade's `batch`), 0 if it reads none. */
  private readonly batchLimit: number
  // Frames are handled one after the other: authorize is async, and an unsubscribe must not
  // overtake the subscribe before it, nor a subscribe the hello before it. Made by a frame,
  // dropped once every frame was handled (idle sockets stay small).
  private inbox: Inbox<string | null> | null = null
  /** Messages, and every other frame the server writes: one byte budget for all of them. */
  private readonly outbox: Outbox<StoredMessage | string>

  constructor(
    private readonly socket: ServerSocket,
    /**
     * The upgrade request, for hooks and reports: on Node what is kept of it (see
     * {@link KeptUpgrade}), elsewhere the runtime's view of it.
     */
    private readonly upgrade: IncomingMessage | KeptUpgrade,
    /** The client's address, read at the upgrade: a closed socket forgets it. */
    private readonly address: string | undefined,
    private readonly shared: Shared,
  ) {
    const hub = shared.hub
    this.hub = hub
    this.batchLimit = batchLimitOf(upgrade.url)
    this.outbox = new Outbox<StoredMessage | string>(
      this,
      hub.settings.maxBufferedBytes,
      hub.settings.maxBacklog,
    )
  }

  /** The frame of an outbox item: a message's, shared by every socket, or a ready frame. */
  text(item: StoredMessage | string): string {
    return typeof item === 'string' ? item : socketFrame(item)
  }

  /** Writes the frames of one tick (see {@link sendFrames}); a closed socket takes nothing. */
  write(frames: string[]): void {
    if (this.socket.isOpen()) sendFrames(this.socket, frames, this.batchLimit)
  }

  buffered(): number {
    return this.socket.bufferedAmount()
  }

  /** A client that cannot keep up is cut off; it resumes from its last id later. */
  behind(): void {
    this.cut('ERR_SLOW_CLIENT', 'it fell too far behind; it may resume later')
  }

  /**
   * Frames started waiting. Not every runtime has a drain event: while frames wait, look again
   * every few milliseconds. A callback on every send would cost each message a closure, which
   * is what throughput pays for.
   */
  wait(): void {
    setTimeout(WebSocketConnection.pumpLater, 5, this)
  }

  private static pumpLater(connection: WebSocketConnection): void {
    if (!connection.socket.isOpen()) return
    connection.outbox.pump()
    if (connection.outbox.waiting > 0) connection.wait()
  }

  /** A frame came; a binary one (`null`) is refused whatever it holds: only its size is kept. */
  message(text: string | null, size: number): void {
    if (this.ended) return
    this.inbox ??= new Inbox<string | null>(this, this.shared.limits)
    this.inbox.push(text, size)
  }

  /** Every frame was handled and the peer is not paused: the inbox holds nothing to keep. */
  idle(): void {
    this.inbox = null
  }

  pong(): void {
    this.unanswered = 0
  }

  closed(): void {
    this.cleanup()
  }

  /** Handles one frame; the inbox calls it in order. */
  handle(text: string | null): Promise<void> {
    return this.onFrame(text)
  }

  /** Backpressure: the client's frames wait in its own socket, not in our memory. */
  pause(): void {
    this.socket.pause()
  }

  resume(): void {
    this.socket.resume()
  }

  /** Far past the pause: only a peer that pausing did not stop gets here. */
  overflow(): void {
    this.cut('ERR_TOO_MANY', 'too many frames waiting to be handled')
  }

  /** Something threw while handling this socket's frame: the server's fault, this socket ends. */
  fail(error: unknown): void {
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
    const { address } = this
    const request = this.request()
    this.hub.report(error, { client, channel, transport: 'websocket', request, address })
  }

  /** The upgrade request as hooks see it: on Node a new `IncomingMessage` each time it is asked. */
  private request(): IncomingMessage {
    const upgrade = this.upgrade
    return upgrade instanceof KeptUpgrade ? upgrade.request() : upgrade
  }

  /**
   * Closes the socket for misbehaving (1008, or `status`), reporting `code` if given, and lets go
   * of its channels now; a peer that does not take the close frame is cut a moment later.
   * `reason` is one of our own short ASCII sentences: a close reason holds at most 123 bytes.
   */
  private cut(code: LiveServerErrorCode | null, reason: string, status = 1008): void {
    if (this.ended) return
    if (code !== null) {
      this.report(code, `WebSocket closed: ${reason}`, { client: true })
    }
    this.cleanup()
    // What this tick gathered (the error frame saying why) goes out before the close frame.
    this.outbox.flush()
    this.socket.close(status, closeReason(reason))
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE).unref()
  }

  /** Answers a frame with an error, through the byte budget. */
  private error(code: WireErrorCode, message: string, answers: Answers = {}): void {
    this.outbox.push(
      `${frameStart('error')},${JSON.stringify({ code, message, ...answers }).slice(1)}`,
    )
  }

  /**
   * Answers a frame the server cannot use; a peer that does not read its answers is cut. A bad
   * `hello` is `ERR_INVALID_HELLO` and closes the socket (1008, the code first in the reason):
   * its credentials cannot be trusted, and the client learns that this transport cannot work.
   */
  private refuse(problem: FrameProblem): void {
    const { message, fatal, code = 'ERR_INVALID_FRAME', ...answers } = problem
    const reported = fatal ? 'ERR_INVALID_HELLO' : code
    this.report(reported, message, { client: true, channel: answers.channel })
    if (this.outbox.full) {
      this.cut('ERR_SLOW_CLIENT', 'answers to its bad frames pile up unread')
      return
    }
    this.error(reported, message, answers)
    if (fatal) this.cut(null, `ERR_INVALID_HELLO: ${message}`)
  }

  /** Keeps a `hello` frame's allowed headers; the others are reported, once per name. */
  private takeHello(headers: HeaderMap): void {
    const { kept, ignored } = pickHello(headers, this.hub.settings.helloHeaders)
    this.hello = kept
    const seen = this.shared.ignoredHello
    for (const name of ignored) {
      if (seen.has(name) || seen.size >= 64) continue
      seen.add(name)
      const allowed = [...this.hub.settings.helloHeaders].join(', ') || 'none'
      this.report(
        'ERR_INVALID_HELLO',
        `a hello frame's header ${quote(name)} was ignored: the server's helloHeaders allow ${allowed} (an identity header a proxy sets must never be listed)`,
        { client: true },
      )
    }
  }

  private async onFrame(text: string | null): Promise<void> {
    const first = this.handled++ === 0
    if (this.ended) return
    if (text === null) return this.refuse({ message: 'frames must be text, not binary' })
    const reading = readClientFrame(text)
    if ('problem' in reading) return this.refuse(reading.problem)
    const { frame } = reading
    if (frame.type === 'hello') {
      if (!first) {
        return this.refuse({ message: 'a hello frame must be the first frame', fatal: true })
      }
      return this.takeHello(frame.headers)
    }
    const { channel } = frame
    if (frame.type === 'unsubscribe') {
      this.unfollow(channel)?.unsubscribe(this)
      return
    }
    const action = frame.type === 'send' ? 'send' : 'subscribe'
    const { maxPayload } = this.hub.settings
    // Only a frame that might hold too much is measured (UTF-8 takes at most 3 bytes a unit).
    if (
      frame.type === 'send' &&
      text.length * 3 > maxPayload &&
      jsonSize(frame.data, maxPayload) > maxPayload
    ) {
      const message = `The data of a send on "${channel}" exceeds maxPayload (${maxPayload} bytes)`
      this.report('ERR_PAYLOAD_TOO_LARGE', message, { client: true, channel })
      return this.error('ERR_PAYLOAD_TOO_LARGE', message, { ref: frame.ref })
    }
    // One request for the frame: authorize and the message listeners see the same object.
    const request = this.request()
    const upgrade = headersOf(request)
    const headers = this.hello === null ? upgrade : withHello(upgrade, this.hello)
    const verdict = await this.hub.authorize({
      channel,
      action,
      transport: 'websocket',
      headers,
      request,
    })
    if (this.ended) return
    const refusal =
      verdict === 'allowed' ? null : refusalOf(verdict, action, channel, this.hub.settings.retry)
    if (frame.type === 'send') {
      const ref = { ref: frame.ref }
      if (refusal) return this.error(refusal.code, refusal.message, ref)
      try {
        await this.hub.receive(channel, frame.data, {
          event: frame.event,
          transport: 'websocket',
          headers,
          request,
          key: frame.key,
        })
      } catch (error) {
        // The idempotency store is down (Redis): passing, the client retries with the same key.
        if (error instanceof LiveServerError && error.code === 'ERR_BACKPLANE') {
          return this.error('ERR_BACKPLANE', error.message, ref)
        }
        return this.error('ERR_LISTENER', 'The server failed to take the message', ref)
      }
      return this.outbox.push(`${frameStart('ack')},"ref":${frame.ref}}`)
    }
    if (refusal) return this.error(refusal.code, refusal.message, { channel })
    if (this.follows(channel)) return
    // Frames are handled in order: the count is exact here, and a frame past the limit must
    // not load (and follow) a channel from the backplane.
    if (this.followed() >= MAX_SUBSCRIPTIONS) {
      const message = `At most ${MAX_SUBSCRIPTIONS} channels per socket`
      this.report('ERR_TOO_MANY', message, { client: true, channel })
      return this.error('ERR_TOO_MANY', message, { channel })
    }
    const { lastEventId, replay: backlog } = frame
    // With a backplane the channel is loaded from the shared log first (see subscribe.ts), and
    // the socket subscribes to the very channel that was loaded.
    const loading = this.hub.prepare([{ channel, lastEventId }])
    let target: Channel
    if (loading === null) target = this.hub.channel(channel)
    else {
      let prepared: PreparedChannels
      try {
        prepared = await loading
      } catch (error) {
        const message = error instanceof Error ? error.message : 'The backplane failed'
        return this.error('ERR_BACKPLANE', message, { channel })
      }
      if (this.ended) return
      const loaded = prepared.get(channel)
      // From here to the subscription is one synchronous step: what is current now stays so.
      if (!prepared.current || loaded === undefined) {
        const message = 'The channel was lost from the backplane as it loaded; try again'
        return this.error('ERR_BACKPLANE', message, { channel })
      }
      target = loaded
    }
    if (this.ended) return
    this.follow(target)
    const replay = target.subscribe(this, { lastEventId, replay: backlog })
    // A fresh subscriber learns where it stands; a resuming one (or one given a backlog) knows.
    const cursor = replay.tellCursor ? `,"cursor":"${replay.cursor}"` : ''
    const name = JSON.stringify(channel)
    this.outbox.push(`${frameStart('subscribed')},"channel":${name}${cursor}}`)
    if (replay.gap) this.outbox.push(`${frameStart('gap')},"channel":${name}}`)
    for (const message of replay.messages) this.deliver(message)
  }

  /** A message of a channel this socket follows. */
  deliver(message: StoredMessage): void {
    this.outbox.push(message)
  }

  /** Whether this socket follows the channel `name`. */
  private follows(name: string): boolean {
    const followed = this.subscriptions
    if (followed === null) return false
    return followed instanceof Map ? followed.has(name) : followed.name === name
  }

  /** How many channels this socket follows. */
  private followed(): number {
    const followed = this.subscriptions
    if (followed === null) return 0
    return followed instanceof Map ? followed.size : 1
  }

  /** Adds `channel` to those followed (not followed yet: see {@link follows}). */
  private follow(channel: Channel): void {
    const followed = this.subscriptions
    if (followed === null) this.subscriptions = channel
    else if (followed instanceof Map) followed.set(channel.name, channel)
    else {
      this.subscriptions = new Map([
        [followed.name, followed],
        [channel.name, channel],
      ])
    }
  }

  /** Takes the channel `name` off those followed; returns it, if it was followed. */
  private unfollow(name: string): Channel | undefined {
    const followed = this.subscriptions
    if (followed === null) return undefined
    if (!(followed instanceof Map)) {
      if (followed.name !== name) return undefined
      this.subscriptions = null
      return followed
    }
    const channel = followed.get(name)
    followed.delete(name)
    if (followed.size === 0) this.subscriptions = null
    return channel
  }

  /**
   * Pings at the protocol level, and in-band when nothing else is on its way. A socket that
   * answered none of the last two pings is dead: a pong may be up to two intervals late.
   */
  heartbeat(): void {
    if (this.ended) return
    // Paused, the server reads nothing, pongs included: it cannot judge the peer now.
    if (this.inbox?.paused) return
    if (this.unanswered >= MAX_UNANSWERED_PINGS) {
      this.close()
      return
    }
    if (this.socket.ping()) this.unanswered++
    if (this.outbox.waiting === 0) this.outbox.push(`${frameStart('heartbeat')}}`)
  }

  private cleanup(): void {
    this.ended = true
    this.inbox?.stop()
    const followed = this.subscriptions
    this.subscriptions = null
    if (followed instanceof Map) for (const channel of followed.values()) channel.unsubscribe(this)
    else followed?.unsubscribe(this)
    this.hub.connections.delete(this)
  }

  /**
   * Ends the socket now; also what a channel whose log was lost calls: the client resumes every
   * channel, and is told of the gap.
   */
  close(): void {
    this.cleanup()
    // What this tick gathered (messages published just before a `live.close()`) goes out first.
    this.outbox.flush()
    this.socket.terminate()
  }
}

/**
 * Takes an accepted socket of any runtime: its connection is kept (heartbeats, `close()`), and
 * the events its adapter reports go to it.
 */
export type AcceptSocket = (
  socket: ServerSocket,
  request: IncomingMessage | KeptUpgrade,
  address: string | undefined,
) => SocketEvents

/**
 * The WebSocket endpoint: one socket per client for every channel. `upgrade` serves Node's
 * upgrades with `ws`; `accept` takes the sockets of other runtimes' adapters.
 */
export function createWebSocketEndpoint(hub: Hub) {
  const server = new WebSocketServer({
    noServer: true,
    // Room for a send a little over maxPayload, answered ERR_PAYLOAD_TOO_LARGE with its ref;
    // a frame past this is no honest client's, and ws closes the socket with 1009.
    maxPayload: maxFrameSize(hub.settings.maxPayload),
    perMessageDeflate: false,
    WebSocket: LiveWebSocket,
    // The hub keeps the connections: a second Set (and a close listener per socket) in ws would
    // only cost each socket memory.
    clientTracking: false,
  })
  const shared: Shared = {
    hub,
    limits: inboxLimits(hub.settings.maxPayload),
    ignoredHello: new Set(),
  }
  const accept: AcceptSocket = (socket, request, address) => {
    const connection = new WebSocketConnection(socket, request, address, shared)
    hub.connections.add(connection)
    return connection
  }
  return {
    accept,
    upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
      server.handleUpgrade(request, socket, head, (ws) => {
        // `ws` handles the socket's errors now: attach's listener would only cost it memory.
        socket.removeListener('error', destroyOnError)
        // The request itself is let go: see KeptUpgrade.
        const address = request.socket?.remoteAddress
        const events = accept(nodeSocket(ws), new KeptUpgrade(request), address)
        listen(ws as LiveWebSocket, events)
      })
    },
    close(): void {
      server.close()
    },
  }
}
