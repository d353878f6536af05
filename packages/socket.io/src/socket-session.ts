import { LiveDataError } from '@livedata/core'
import type { Socket } from 'socket.io-client'
import type { SocketIoLink } from './socket-link'

// Messages kept for one source while it reconnects; past that it is told of a gap instead.
const MAX_HELD = 1000

/** What a channel that is not open on the socket (yet, or again) is owed once it is. */
export interface Waiting {
  /** The event it listens to. */
  readonly event: string
  /** Messages that arrived meanwhile, delivered when it opens. */
  held: unknown[]
  /** Messages meant for it were lost: its next open reports a gap. */
  lost: boolean
  /** It was open when the socket dropped: it may come back for what was held. */
  readonly away: boolean
}

/**
 * The socket a client keeps for one socket.io server (URL and path). It outlives the links that
 * ride it: a link ends when the socket drops (every source reconnects on its own schedule, onto
 * a new link), while the next link reconnects this same `Socket`, whose session id lets the
 * server recover what was missed. What arrives for a source that is not back yet is held here.
 */
export class SocketSession {
  /** The link whose members the socket serves now; `null` between links. */
  link: SocketIoLink | null = null
  /** A `socket.connect()` is on its way. */
  connecting = false
  /** Channels that are not open on the socket, with what they are owed. */
  readonly waiting = new Map<string, Waiting>()
  /** Channels that left while open: what is emitted since is lost to them if they come back. */
  readonly left = new Set<string>()

  constructor(
    readonly socket: Socket,
    readonly url: string,
  ) {
    socket.onAny((event: string, ...args: unknown[]) => this.emitted(event, args[0]))
    socket.on('connect', () => this.connected())
    socket.on('connect_error', (cause) => {
      // An `active` socket failed to reach the server; an inactive one was refused by its
      // middleware (an expired token, say): tried again with backoff either way, so an `auth`
      // callback gets the chance to hand over a fresh token.
      const error = socket.active
        ? new LiveDataError('ERR_NETWORK', `Cannot connect to ${url}: ${cause.message}`, { cause })
        : new LiveDataError('ERR_REFUSED', `The server refused the socket: ${cause.message}`, {
            cause,
          })
      this.dropped(error)
    })
    socket.on('disconnect', (reason) => {
      if (reason === 'io client disconnect') return
      // The server's own `socket.disconnect()` means "go away": socket.io does not come back either.
      const retryable = reason !== 'io server disconnect'
      const message = `The socket.io connection closed (${reason})`
      this.dropped(new LiveDataError('ERR_CONNECTION_LOST', message, { retryable }))
    })
  }

  /** Connects the socket unless it is connected or connecting. */
  connect(): void {
    if (this.socket.connected || this.connecting) return
    this.connecting = true
    this.socket.connect()
  }

  /** Disconnects the socket on our side (the last source let go, or an open that never came). */
  disconnect(): void {
    this.connecting = false
    this.socket.disconnect()
  }

  /** Where a joining channel starts: owed what was held for it, or a gap if it left while open. */
  join(channel: string, event: string): void {
    if (this.waiting.get(channel)?.away) return
    this.waiting.set(channel, { event, held: [], lost: this.left.delete(channel), away: false })
  }

  private emitted(event: string, data: unknown): void {
    this.link?.emitted(event, data)
    for (const waiting of this.waiting.values()) {
      if (waiting.event !== event) continue
      if (waiting.held.push(data) > MAX_HELD) {
        waiting.held = []
        waiting.lost = true
      }
    }
  }

  private connected(): void {
    this.connecting = false
    // Not recovered (recovery off, or the server forgot the session): what was emitted while a
    // source was away is gone. socket.io replays it otherwise, before any new event.
    for (const waiting of this.waiting.values()) {
      if (waiting.away && !this.socket.recovered) waiting.lost = true
    }
    this.link?.openAll()
  }

  private dropped(error: LiveDataError): void {
    this.connecting = false
    this.link?.fail(error)
  }
}
