import type { Verdict } from './authorization'
import { Channel } from './channel'
import { LiveServerError } from './errors'
import type { Hub, LiveConnection, MessageContext } from './hub'
import { createOnce } from './once'
import { createReplicas, type Replicas } from './replicas'
import type { ServerSettings } from './settings'

/** Receives the messages clients send. May be async: the send is acknowledged once it settles. */
export type MessageListener = (channel: string, data: unknown, context: MessageContext) => unknown

/** The server's state: its channels, its `message` listeners, and the hub its transports share. */
export interface Registry {
  hub: Hub
  /** The channels kept now, by name. */
  channels: ReadonlyMap<string, Channel>
  /** The app's `message` listeners. */
  listeners: Set<MessageListener>
  /** With a backplane: the channels as replicas of its log, to close with the server. */
  replicas: Replicas | null
}

/** How long a channel no client follows stays loaded from a backplane, in ms. */
const LINGER = 30_000
/** How long a client resuming from an id this node has not read yet waits for it, in ms. */
const CATCH_UP = 5_000
/**
 * How long a request may wait for its channels to load from a backplane in all, in ms: the
 * catch-up and a load's own time; past it, it is answered `503 ERR_BACKPLANE`.
 */
const PREPARE_TIMEOUT = 10_000

/**
 * Creates the registry of a server: channels created on first use and dropped when idle, the
 * open connections, the `authorize` hook (a throw is `failed`, and reported) and the `message`
 * listeners (every one runs; a failure is reported and rejects the send).
 *
 * @example
 * ```ts
 * const { hub } = createRegistry(resolveSettings({}))
 * hub.channel('prices').publish(message)
 * ```
 */
export function createRegistry(settings: ServerSettings): Registry {
  const { authorize, report } = settings
  const historySize = settings.hub.history
  const listeners = new Set<MessageListener>()
  // A store that fails (Redis down) is the server's trouble, said once per outage.
  const once = createOnce(settings.idempotency, (error) => report(error, { client: false }))
  const { backplane } = settings
  const replicas =
    backplane === null
      ? null
      : createReplicas({
          backplane,
          history: historySize,
          linger: LINGER,
          catchUp: CATCH_UP,
          timeout: PREPARE_TIMEOUT,
          maxChannels: settings.maxChannels,
          keepLast: settings.keepLast,
          report: (error) => report(error, { client: false }),
        })
  // Without a backplane the channels are this node's own, kept while they hold anything.
  const own = new Map<string, Channel>()
  const channels = replicas?.channels ?? own
  const hub: Hub = {
    settings: settings.hub,
    connections: new Set<LiveConnection>(),
    prepare: replicas === null ? () => null : replicas.prepare,
    channel(name) {
      if (replicas !== null) return replicas.channel(name)
      let channel = own.get(name)
      if (!channel) {
        channel = new Channel(
          name,
          historySize,
          (idle) => {
            if (own.get(idle.name) === idle) own.delete(idle.name)
          },
          settings.keepLast(name),
        )
        own.set(name, channel)
      }
      return channel
    },
    peek: (name) => channels.get(name) ?? new Channel(name, 0),
    async authorize(context): Promise<Verdict> {
      if (!authorize) return 'allowed'
      try {
        return (await authorize(context)) === true ? 'allowed' : 'forbidden'
      } catch (cause) {
        const { channel, action, transport, request } = context
        const error = new LiveServerError(
          'ERR_AUTHORIZE',
          `authorize threw for ${action} on "${channel}" (${transport}); the client was told to try again later`,
          { cause },
        )
        report(error, { client: false, channel, transport, request })
        return 'failed'
      }
    },
    receive: (channel, data, context) =>
      once(channel, context.key, () => deliver(channel, data, context)),
    report,
  }
  async function deliver(channel: string, data: unknown, context: MessageContext): Promise<void> {
    // Every listener runs, even after one failed; async ones are awaited, so a client's send is
    // acknowledged only once the app has taken it, and a rejection is never left unhandled.
    let failure: LiveServerError | null = null
    await Promise.all(
      [...listeners].map(async (listener) => {
        try {
          await listener(channel, data, context)
        } catch (cause) {
          const { transport, request } = context
          const error = new LiveServerError(
            'ERR_LISTENER',
            `a message listener failed on "${channel}"`,
            { cause },
          )
          report(error, { client: false, channel, transport, request })
          failure ??= error
        }
      }),
    )
    if (failure !== null) throw failure
  }
  return { hub, channels, listeners, replicas }
}
