import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { type WebSocket, WebSocketServer } from 'ws'
import type { Subscriber } from '../channel'
import { jsonFrame } from '../frames'
import type { StoredMessage } from '../history'
import { type Hub, isChannelName, isEventName, type LiveConnection } from '../hub'
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

type ClientFrame =
  | { type: 'subscribe'; channel: string; lastEventId?: string | null }
  | { type: 'unsubscribe'; channel: string }
  | { type: 'send'; channel: string; data: unknown; event?: string; ref: number }

/** Checks a frame from a client; returns the frame, or what is wrong with it (and its channel). */
function readFrame(text: string): { frame: ClientFrame } | { problem: string; channel?: string } {
  let frame: unknown
  try {
    frame = JSON.parse(text)
  } catch {
    return { problem: 'a frame must be JSON' }
  }
  if (typeof frame !== 'object' || frame === null)
    return { problem: 'a frame must be a JSON object' }
  const { type, channel } = frame as { type?: unknown; channel?: unknown }
  // Named in the answer when there is one, so a waiting client learns which subscribe failed.
  const named = typeof channel === 'string' ? { channel: channel.slice(0, 256) } : {}
  const invalid = (problem: string) => ({ problem, ...named })
  if (type !== 'subscribe' && type !== 'unsubscribe' && type !== 'send') {
    return invalid(
      `unknown frame type ${JSON.stringify(type)}; expected subscribe, unsubscribe or send`,
    )
  }
  if (!isChannelName(channel)) return invalid(`invalid channel ${JSON.stringify(channel)}`)
  if (type === 'send') {
    const { ref, event } = frame as { ref?: unknown; event?: unknown }
    if (!Number.isSafeInteger(ref)) return invalid('a send needs an integer ref')
    if (event !== undefined && !isEventName(event)) return invalid('event must be a short string')
    if (!('data' in frame)) return invalid('a send needs data')
  }
  return { frame: frame as ClientFrame }
}

/** One client socket, carrying any number of channel subscriptions. */
class WebSocketConnection implements LiveConnection {
  private readonly subscriptions = new Map<string, Subscriber>()
  private alive = true
  // Frames are handled one after the other: authorize is async, and an unsubscribe must not
  // overtake the subscribe before it.
  private queue: Promise<void> = Promise.resolve()
  private pending = 0
  private readonly outbox: Outbox

  constructor(
    private readonly socket: WebSocket,
    private readonly request: IncomingMessage,
    private readonly hub: Hub,
  ) {
    // ws has no drain event: while messages wait, look again every few milliseconds. A callback
    // on every send would cost each message a closure, which is what throughput pays for.
    const pumpSoon = (): void => {
      setTimeout(() => {
        if (socket.readyState !== socket.OPEN) return
        this.outbox.pump()
        if (this.outbox.waiting > 0) pumpSoon()
      }, 5)
    }
    this.outbox = new Outbox(
      {
        send: (message) => {
          if (socket.readyState === socket.OPEN) socket.send(wsFrame(message))
        },
        buffered: () => socket.bufferedAmount,
        // A client that cannot keep up is cut off; it resumes from its last id later.
        overflow: () => this.close(),
        wait: pumpSoon,
      },
      hub.settings.maxBufferedBytes,
      hub.settings.maxBacklog,
    )
    socket.on('message', (data, isBinary) => {
      if (isBinary) return this.error('ERR_INVALID_FRAME', 'frames must be text')
      // A client that sends faster than its frames are handled is cut off, not queued forever.
      if (++this.pending > MAX_PENDING_FRAMES) {
        socket.close(1008, 'Too many frames in flight')
        return
      }
      const text = data.toString()
      this.queue = this.queue.then(async () => {
        await this.onFrame(text)
        this.pending--
      })
    })
    socket.on('pong', () => {
      this.alive = true
    })
    socket.on('close', () => this.cleanup())
    socket.on('error', () => this.cleanup())
  }

  /** Writes a control frame straight away; messages go through the outbox. */
  private write(text: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(text)
  }

  private error(code: string, message: string, extra: Record<string, unknown> = {}): void {
    this.write(JSON.stringify({ type: 'error', ...extra, code, message }))
  }

  private async onFrame(text: string): Promise<void> {
    const read = readFrame(text)
    if ('problem' in read) {
      const { problem, ...named } = read
      return this.error('ERR_INVALID_FRAME', problem, named)
    }
    const { frame } = read
    const { channel } = frame
    if (frame.type === 'unsubscribe') {
      const subscriber = this.subscriptions.get(channel)
      if (subscriber) this.hub.channel(channel).unsubscribe(subscriber)
      this.subscriptions.delete(channel)
      return
    }
    const action = frame.type === 'send' ? 'send' : 'subscribe'
    const allowed = await this.hub.authorize({ channel, action, request: this.request })
    if (frame.type === 'send') {
      if (!allowed) {
        return this.error('ERR_FORBIDDEN', `Sending on "${channel}" is not allowed`, {
          ref: frame.ref,
        })
      }
      try {
        await this.hub.receive(channel, frame.data, {
          event: frame.event,
          transport: 'websocket',
          request: this.request,
        })
      } catch {
        return this.error('ERR_LISTENER', 'The server failed to take the message', {
          ref: frame.ref,
        })
      }
      return this.write(`{"type":"ack","ref":${frame.ref}}`)
    }
    if (!allowed) {
      return this.error('ERR_FORBIDDEN', `Access to "${channel}" is not allowed`, { channel })
    }
    if (this.subscriptions.has(channel) || this.socket.readyState !== this.socket.OPEN) return
    if (this.subscriptions.size >= MAX_SUBSCRIPTIONS) {
      return this.error('ERR_TOO_MANY', `At most ${MAX_SUBSCRIPTIONS} channels per socket`, {
        channel,
      })
    }
    const raw = frame.lastEventId
    // An id we never issued is never found in history: the client is told of a gap.
    const lastEventId = typeof raw === 'string' && raw !== '' ? raw.slice(0, 64) : null
    const subscriber: Subscriber = { deliver: (message) => this.outbox.push(message) }
    this.subscriptions.set(channel, subscriber)
    const replay = this.hub.channel(channel).subscribe(subscriber, lastEventId)
    // A fresh subscriber learns where it stands; a resuming one already knows.
    const cursor = lastEventId === null ? `,"cursor":"${replay.cursor}"` : ''
    this.write(`{"type":"subscribed","channel":${JSON.stringify(channel)}${cursor}}`)
    if (replay.gap) this.write(`{"type":"gap","channel":${JSON.stringify(channel)}}`)
    for (const message of replay.messages) subscriber.deliver(message)
  }

  /** Pings at the protocol level (a socket that missed the last pong is dead) and in-band. */
  heartbeat(): void {
    if (!this.alive) {
      this.socket.terminate()
      return
    }
    this.alive = false
    this.socket.ping()
    this.write('{"type":"heartbeat"}')
  }

  private cleanup(): void {
    for (const [channel, subscriber] of this.subscriptions) {
      this.hub.channel(channel).unsubscribe(subscriber)
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
