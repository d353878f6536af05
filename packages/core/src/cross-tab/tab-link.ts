import { LiveDataError } from '../errors'
import { Link, type LinkMember } from '../link'
import type { TransportConnection, TransportDefinition } from '../types'
import { fromWire, type TabBus, type TabMessage } from './bus'

/**
 * A tab's channels over the leading tab's connection: joins and leaves go to the relay through
 * BroadcastChannel, and what the relay hears of the server comes back the same way. A change of
 * leader fails the link, and every source rejoins the new relay from its own cursor.
 */
class TabLink extends Link {
  private leader: string | null = null
  private readonly stop: () => void
  private nextRef = 0
  private readonly pending = new Map<number, (error?: LiveDataError, value?: unknown) => void>()

  constructor(
    private readonly bus: TabBus,
    private readonly tab: string,
  ) {
    super()
    this.stop = bus.listen((message) => this.heard(message))
    bus.post({ t: 'hello' })
  }

  protected joined(member: LinkMember): void {
    const { channel, cursor, replay } = member
    this.bus.post({ t: 'join', tab: this.tab, channel, cursor, replay })
  }

  protected left({ channel }: LinkMember): void {
    this.bus.post({ t: 'leave', tab: this.tab, channel })
  }

  protected ended(error: LiveDataError | undefined): void {
    this.stop()
    this.bus.post({ t: 'bye', tab: this.tab })
    const reason = error ?? new LiveDataError('ERR_SEND_FAILED', 'The tab let go of the connection')
    for (const settle of this.pending.values()) settle(reason)
  }

  protected override connectionOf(member: LinkMember): TransportConnection {
    return {
      ...super.connectionOf(member),
      send: (data, event, key) =>
        new Promise((resolve, reject) => {
          if (this.done) return reject(new LiveDataError('ERR_SEND_FAILED', 'Not connected'))
          const ref = ++this.nextRef
          this.pending.set(ref, (error, value) => {
            this.pending.delete(ref)
            error ? reject(error) : resolve(value)
          })
          const { channel } = member
          this.bus.post({ t: 'send', tab: this.tab, ref, channel, data, event, key })
        }),
    }
  }

  private heard(message: TabMessage): void {
    switch (message.t) {
      case 'leader':
        if (this.leader === message.id) return
        // Another tab leads now: every channel rejoins it, from its own cursor.
        if (this.leader !== null) {
          return this.fail(new LiveDataError('ERR_CONNECTION_LOST', 'The leading tab changed'))
        }
        this.leader = message.id
        // Joins posted before any relay listened are lost: say them again.
        for (const member of this.members.values()) this.joined(member)
        return
      case 'rejoin':
        if (message.tab === this.tab)
          for (const member of this.members.values()) this.joined(member)
        return
      case 'ping':
        if (message.id !== this.leader) return
        this.activity()
        this.bus.post({ t: 'here', tab: this.tab })
        return
      case 'state': {
        if (message.tab !== undefined && message.tab !== this.tab) return
        const member = this.members.get(message.channel)
        if (!member) return
        member.handlers.onVia?.(message.transport)
        if (message.status === 'open') return this.open(message.channel)
        // The leader's connection went down (or refused this channel): so does this tab's,
        // which rejoins on its own schedule and hears the leader's state again.
        if (member.opened || message.status === 'closed') {
          const error = message.error
            ? fromWire(message.error)
            : new LiveDataError('ERR_CONNECTION_LOST', 'The leading tab lost its connection')
          this.refuse(message.channel, error)
        }
        return
      }
      case 'msg':
        return this.deliver(message.channel, message.m)
      case 'cursor':
        if (message.tab === undefined || message.tab === this.tab) {
          this.cursor(message.channel, message.id)
        }
        return
      case 'gap':
        return this.gap(message.channel, message.replay)
      case 'ack':
        if (message.tab !== this.tab) return
        this.pending.get(message.ref)?.(
          message.error ? fromWire(message.error) : undefined,
          message.value,
        )
    }
  }
}

/**
 * The transport of a tab that rides another's connection (`crossTab`): every channel of the
 * client joins the relay of the leading tab (this one's too, when it leads).
 *
 * @example
 * ```ts
 * const transport = tabTransport(bus, tabId())
 * ```
 */
export function tabTransport(bus: TabBus, tab: string): TransportDefinition {
  return {
    name: 'tab',
    connect(context, handlers) {
      if (!context.channel) {
        throw new LiveDataError('ERR_UNSUPPORTED', 'Plain endpoints are not shared between tabs', {
          retryable: false,
        })
      }
      return context.links.get('tab', () => new TabLink(bus, tab)).attach(context, handlers)
    },
  }
}
