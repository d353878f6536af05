import { LiveDataError } from './errors'
import { compareIds } from './ids'
import type {
  TransportConnection,
  TransportContext,
  TransportHandlers,
  TransportMessage,
} from './types'

/** One channel's share of a {@link Link}: the source's handlers and where the channel stands. */
export interface LinkMember {
  /** The channel's name. */
  readonly channel: string
  /** The handlers of the source's connection. */
  readonly handlers: TransportHandlers
  /**
   * Where the channel resumes from: the last id delivered to it, else the cursor the server told
   * it, else the id it connected with. The link keeps it, so that a new request or socket carries
   * every channel from exactly where it stands.
   */
  cursor: string | null
  /** The backlog a fresh subscription asks for (the source's `replay`). */
  readonly replay: number | undefined
  /** The source's `event` option, if any. */
  readonly event: string | undefined
  /** Whether this member was told `onOpen`. */
  opened: boolean
  /** Whether a gap came since its cursor last moved: the next cursor replaces it, whatever it is. */
  gapped: boolean
}

/**
 * The links of one client, by key, so that its sources share them: one WebSocket, one SSE
 * stream, one long poll for every channel. `client.reconnect()` starts a new pool, so no connect
 * after it rides a link opened before it (on old credentials, say).
 *
 * @example
 * ```ts
 * const link = context.links.get(`my-transport ${context.baseUrl}`, () => new MyLink(context))
 * return link.attach(context, handlers)
 * ```
 */
export class LinkPool {
  private readonly links = new Map<string, Link>()
  private readonly refusals = new Map<string, LiveDataError>()

  /**
   * The link under `key`, made by `create` when there is none (or the last one ended). Throws
   * the error {@link LinkPool.refuse} remembered for `key`, if any: the connect fails at once.
   */
  get<L extends Link>(key: string, create: () => L): L {
    const refused = this.refusals.get(key)
    if (refused) throw refused
    let link = this.links.get(key) as L | undefined
    if (!link) {
      link = create()
      link.key = key
      link.pool = this
      this.links.set(key, link)
    }
    return link
  }

  /** The link under `key`, if there is one. */
  find(key: string): Link | undefined {
    return this.links.get(key)
  }

  /**
   * Remembers that the server refused links under `key` for good (a WebSocket's hello, say):
   * `get` throws `error` for that key from now on, so that connects move on at once.
   */
  refuse(key: string, error: LiveDataError): void {
    this.refusals.set(key, error)
  }

  /** Forgets `link` (it ended). */
  remove(link: Link): void {
    if (this.links.get(link.key) === link) this.links.delete(link.key)
  }
}

/**
 * One connection (a socket, a stream, a polling loop) that carries the channels of many sources,
 * ref-counted by its members: the first `attach` makes it, the last member to leave ends it. It
 * owns the bookkeeping every multiplexing transport needs (members, cursors, liveness, failure);
 * a transport extends it with its wire: {@link Link.joined}, {@link Link.left} and
 * {@link Link.ended} say when to tell the server, and the wire calls {@link Link.open},
 * {@link Link.deliver}, {@link Link.refuse} and {@link Link.fail} as frames arrive.
 *
 * Failure is explicit: {@link Link.fail} ends the link for every member at once (each source then
 * reconnects on its own schedule, onto a new link). A source that gives up on the link itself (no
 * heartbeat, or an open that never came) fails it for all: silence on one channel is silence on
 * the connection.
 *
 * @example
 * ```ts
 * class EchoLink extends Link {
 *   protected joined(member: LinkMember) { this.open(member.channel) }
 *   protected left() {}
 *   protected ended() {}
 * }
 * ```
 */
export abstract class Link {
  /** The pool's key, set by {@link LinkPool.get}. */
  key = ''
  /** The pool this link lives in, set by {@link LinkPool.get}. */
  pool: LinkPool | null = null
  /** The channels on this link. */
  readonly members = new Map<string, LinkMember>()
  private ended_ = false
  /** Set when the connection opened (by {@link Link.open}, or by the wire for a socket). */
  protected connected = false

  /** Whether the link ended (failed, or its last member left). */
  get done(): boolean {
    return this.ended_
  }

  /** Whether the connection opened at least once. */
  get wasOpen(): boolean {
    return this.connected
  }

  /** A member joined: tell the server (a subscribe frame, a new request). */
  protected abstract joined(member: LinkMember): void
  /** A member left of its own accord: tell the server. Not called when the link ends. */
  protected abstract left(member: LinkMember): void
  /** The link ended: close the connection. Called once. */
  protected abstract ended(error: LiveDataError | undefined): void

  /**
   * Adds the source whose connect this is (its channel, cursor and replay from `context`) and
   * returns its connection: `close()` takes it off the link.
   */
  attach(context: TransportContext, handlers: TransportHandlers): TransportConnection {
    const member: LinkMember = {
      channel: context.key,
      handlers,
      cursor: context.lastEventId,
      replay: context.replay,
      event: context.event,
      opened: false,
      gapped: false,
    }
    // A source reconnecting while its old membership lingers replaces it.
    const stale = this.members.get(member.channel)
    if (stale) this.members.delete(member.channel)
    this.members.set(member.channel, member)
    this.joined(member)
    return this.connectionOf(member)
  }

  /** The connection a member's source holds; a transport that carries sends adds `send`. */
  protected connectionOf(member: LinkMember): TransportConnection {
    return { close: (reason) => this.detach(member, reason) }
  }

  /** Takes `member` off the link (see {@link Link.attach}); the last one ends it. */
  protected detach(member: LinkMember, reason?: LiveDataError): void {
    if (this.members.get(member.channel) !== member) return
    // The source gave up on the connection itself: silence on one channel is silence on the
    // link, and a link that never opened (a proxy holding it) never will. All move on.
    const gaveUp =
      reason?.code === 'ERR_HEARTBEAT_TIMEOUT' ||
      (reason?.code === 'ERR_OPEN_TIMEOUT' && !this.wasOpen)
    if (gaveUp) return this.fail(reason)
    this.members.delete(member.channel)
    if (this.members.size > 0) return this.left(member)
    this.finish(undefined)
  }

  /** The connection is open: `channel`'s member (or, without one, every member) hears it. */
  open(channel?: string): void {
    this.connected = true
    for (const member of channel === undefined
      ? this.members.values()
      : [this.members.get(channel)]) {
      if (member && !member.opened) {
        member.opened = true
        member.handlers.onOpen()
      }
    }
  }

  /** Something arrived: proof of life for every member. */
  activity(): void {
    for (const { handlers } of this.members.values()) handlers.onActivity()
  }

  /**
   * A message of `channel` arrived; its id becomes the channel's cursor when it is later than
   * the cursor (two overlapping requests may both bring it: the cursor never moves back).
   */
  deliver(channel: string, message: TransportMessage): void {
    const member = this.members.get(channel)
    if (!member) return
    if (message.id !== null) this.advance(member, message.id)
    member.handlers.onMessage(message)
  }

  /**
   * Where `channel` stands, as the server says: a fresh subscription's cursor, a poll's cursor
   * after its messages, or the newest id after a gap that replayed nothing (a restarted server).
   * The server's word wins, so that no later request asks for an id it no longer knows.
   */
  cursor(channel: string, id: string): void {
    const member = this.members.get(channel)
    if (!member) return
    this.advance(member, id)
    member.handlers.onCursor(id)
  }

  /** Moves `member`'s cursor to `id` if later, or whatever it is after a gap (a new history). */
  private advance(member: LinkMember, id: string): void {
    if (member.cursor === null || member.gapped || (compareIds(id, member.cursor) ?? 1) > 0) {
      member.cursor = id
      member.gapped = false
    }
  }

  /** History no longer reaches back for `channel` (see `TransportHandlers.onGap`). */
  gap(channel: string, replay?: boolean): void {
    const member = this.members.get(channel)
    if (!member) return
    member.gapped = true
    member.handlers.onGap(replay)
  }

  /** The server's reconnection delay, for every member. */
  retry(ms: number): void {
    for (const { handlers } of this.members.values()) handlers.onRetry(ms)
  }

  /** A problem that ends nothing: `channel`'s member hears it, or every member without one. */
  error(error: LiveDataError, channel?: string): void {
    for (const member of channel === undefined
      ? this.members.values()
      : [this.members.get(channel)]) {
      member?.handlers.onError(error)
    }
  }

  /** The server refused `channel` (its `authorize` said no): that member alone is closed. */
  refuse(channel: string, error: LiveDataError): void {
    const member = this.members.get(channel)
    if (!member) return
    this.members.delete(channel)
    member.handlers.onClose(error)
    if (this.members.size === 0) this.finish(undefined)
  }

  /**
   * The connection ended: the link ends, and every member is closed with `error` (none: the
   * server ended it cleanly).
   */
  fail(error?: LiveDataError): void {
    if (this.done) return
    const members = [...this.members.values()]
    this.finish(error)
    for (const { handlers } of members) handlers.onClose(error)
  }

  private finish(error: LiveDataError | undefined): void {
    if (this.ended_) return
    this.ended_ = true
    this.pool?.remove(this)
    this.members.clear()
    this.ended(error)
  }
}

/**
 * The error a link ends with when its connection broke after it opened (or failed to open).
 *
 * @example
 * ```ts
 * link.fail(connectionLost('The stream broke off', link.wasOpen))
 * ```
 */
export const connectionLost = (message: string, opened: boolean, cause?: unknown): LiveDataError =>
  new LiveDataError(opened ? 'ERR_CONNECTION_LOST' : 'ERR_NETWORK', message, { cause })
