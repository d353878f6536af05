import type { ServerTransport } from '@livedata/server'
import {
  type Form,
  type SubscribeOptions,
  type Subscription,
  subscribeHttp,
} from './http-subscription'
import { EventQueue } from './queue'
import { openSocket, subscribeSocket } from './socket'
import type { ChannelSpec, WireEvent } from './wire-event'

/**
 * Subscribes `specs` over any transport: HTTP ones in `form`; the WebSocket (which has one
 * form: every channel over one socket) with a subscribe frame per channel. A refused upgrade
 * resolves with its status and no events, as a refused HTTP request does.
 *
 * @example
 * ```ts
 * const sub = await subscribe(url, 'websocket', 'plain', [{ channel: 'news', after: '0-0' }])
 * ```
 */
export async function subscribe(
  base: string,
  transport: ServerTransport,
  form: Form,
  specs: readonly ChannelSpec[],
  options: SubscribeOptions = {},
): Promise<Subscription> {
  if (transport !== 'websocket') return subscribeHttp(base, transport, form, specs, options)
  const upgrade = await openSocket(base, options.origin)
  if (!upgrade.ok) {
    const events = new EventQueue<WireEvent>()
    events.end(`the upgrade was refused with ${upgrade.status}`)
    return { status: upgrade.status, headers: new Headers(), error: null, events, cut() {} }
  }
  const { socket } = upgrade
  const events = subscribeSocket(socket, specs)
  return {
    status: 101,
    headers: new Headers(),
    error: null,
    events,
    cut() {
      socket.cut()
      events.end('the suite cut the socket')
    },
  }
}
