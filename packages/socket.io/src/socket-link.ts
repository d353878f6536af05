import {
  Link,
  type LinkMember,
  type LiveDataError,
  type TransportConnection,
  type TransportContext,
  type TransportHandlers,
} from '@livedata/core'
import { type AckOption, emitSend } from './send'
import type { SocketSession } from './socket-session'

/**
 * The sources of one client on one socket.io server, between two drops of its socket: each
 * member listens to its own event. A drop fails the link for all (each source reconnects on its
 * own schedule, onto the next link over the same {@link SocketSession}); the last source to let
 * go disconnects the socket.
 */
export class SocketIoLink extends Link {
  /** The event each channel listens to. */
  private readonly events = new Map<string, string>()

  constructor(
    private readonly session: SocketSession,
    private readonly ack: AckOption,
    private readonly sendTimeout: number,
  ) {
    super()
    session.link = this
  }

  override attach(context: TransportContext, handlers: TransportHandlers): TransportConnection {
    this.events.set(context.key, context.event ?? 'message')
    return super.attach(context, handlers)
  }

  protected joined(member: LinkMember): void {
    const { session } = this
    session.join(member.channel, this.eventOf(member.channel))
    if (!session.socket.connected) return session.connect()
    // Later than now: the connection keeps this transport's handle only once connect returns.
    queueMicrotask(() => {
      if (this.members.get(member.channel) === member && session.socket.connected) {
        this.openMember(member)
      }
    })
  }

  protected left(_member: LinkMember): void {
    // Each source listens to its own event on the socket: there is nothing to tell the server.
  }

  protected ended(error: LiveDataError | undefined): void {
    const { session } = this
    if (session.link === this) session.link = null
    if (error) {
      // An open that never came (a middleware that hangs) is started over, for all.
      if (session.connecting) session.disconnect()
      return
    }
    // The last source let go: so does the socket.
    session.disconnect()
    // Whoever is away misses what comes next.
    for (const waiting of session.waiting.values()) waiting.lost = true
  }

  override fail(error?: LiveDataError): void {
    if (this.done) return
    const { waiting } = this.session
    // Sources that were open are away until they come back: what arrives for them is held.
    for (const { channel, opened } of this.members.values()) {
      if (opened) {
        waiting.set(channel, { event: this.eventOf(channel), held: [], lost: false, away: true })
      } else if (!waiting.get(channel)?.away) {
        waiting.delete(channel)
      }
    }
    super.fail(error)
  }

  protected override connectionOf(member: LinkMember): TransportConnection {
    const { close } = super.connectionOf(member)
    const { channel } = member
    return {
      close: (reason) => {
        if (this.members.get(channel) === member) {
          // One that was open leaves for good; one still (re)connecting may come back for more.
          if (member.opened) this.session.left.add(channel)
          else if (!this.session.waiting.get(channel)?.away) this.session.waiting.delete(channel)
        }
        close(reason)
      },
      send: (data, event) => {
        const { socket } = this.session
        return emitSend(socket, event ?? this.eventOf(channel), data, this.ack, this.sendTimeout)
      },
    }
  }

  /** The socket connected: every member opens, with what was held for it. */
  openAll(): void {
    for (const member of [...this.members.values()]) this.openMember(member)
  }

  /** The server emitted `event`: proof of life, and a message for each open member on it. */
  emitted(event: string, data: unknown): void {
    this.activity()
    for (const member of this.members.values()) {
      if (member.opened && this.eventOf(member.channel) === event) {
        this.deliver(member.channel, { value: data, event, id: null })
      }
    }
  }

  private openMember(member: LinkMember): void {
    const { channel } = member
    if (member.opened || this.members.get(channel) !== member) return
    const owed = this.session.waiting.get(channel)
    this.session.waiting.delete(channel)
    this.open(channel)
    // socket.io replays nothing after a loss: the data is kept, and the gap said.
    if (owed?.lost) this.gap(channel, false)
    for (const value of owed?.held ?? [])
      this.deliver(channel, { value, event: owed!.event, id: null })
  }

  private eventOf(channel: string): string {
    return this.events.get(channel) ?? 'message'
  }
}
