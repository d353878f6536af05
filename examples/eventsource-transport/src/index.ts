import {
  Link,
  type LinkMember,
  LiveDataError,
  type TransportConnection,
  type TransportContext,
  type TransportDefinition,
  type TransportHandlers,
} from '@livedata/core'

// A third-party transport, written against the public exports of @livedata/core only. It reads
// @livedata/server's multiplexed SSE form (docs/protocol.md, "One request for every channel")
// with the standard EventSource: one request carries every channel of a client.

/** The part of the standard `EventSource` this transport uses (browsers', or the `eventsource` package's). */
export interface EventSourceLike {
  onopen: ((event: Event) => void) | null
  onerror: ((event: Event) => void) | null
  addEventListener(
    type: string,
    listener: (event: { data: string; lastEventId: string }) => void,
  ): void
  close(): void
}

/** An `EventSource` constructor. */
export type EventSourceConstructor = new (
  url: string,
  init?: { withCredentials?: boolean },
) => EventSourceLike

/** The URL of one request for every member: `c=<channel>`, `c=<channel>!<id>` or `c=<channel>*<n>`. */
function channelsUrl(base: string, members: Iterable<LinkMember>): string {
  const url = new URL(base, (globalThis as { location?: { href: string } }).location?.href)
  url.searchParams.set('transport', 'sse')
  for (const { channel, cursor, replay } of members) {
    url.searchParams.append(
      'c',
      cursor ? `${channel}!${cursor}` : replay ? `${channel}*${replay}` : channel,
    )
  }
  return url.href
}

/** The JSON of a control event (`!cursor`, `!gap`, `!refused`); `{}` if it is not JSON. */
function control(data: string): Record<string, string | undefined> {
  try {
    return JSON.parse(data) ?? {}
  } catch {
    return {}
  }
}

/**
 * The client's one EventSource, shared by its sources through `context.links`. The base class
 * keeps the members (each with its cursor) and tells them what happens; this class only knows
 * the wire: which request to open, and which `Link` call each event is.
 */
class EventSourceLink extends Link {
  private source: EventSourceLike | null = null
  private timer: unknown = null
  /** The event each channel's source asked for (`event` option), `undefined` for unnamed messages. */
  private readonly events = new Map<string, string | undefined>()

  constructor(
    private readonly context: TransportContext,
    private readonly EventSource: EventSourceConstructor,
  ) {
    super()
  }

  override attach(context: TransportContext, handlers: TransportHandlers): TransportConnection {
    this.events.set(context.key, context.event)
    return super.attach(context, handlers)
  }

  // A request names its channels once and for all: a join or a leave replaces it with one for
  // the new set, each channel resuming from its own cursor (the server replays from history, the
  // sources drop ids they have seen). Changes within one tick share one replacement.
  protected joined(): void {
    this.replace()
  }

  protected left(): void {
    this.replace()
  }

  protected ended(): void {
    this.context.timers.clearTimeout(this.timer)
    this.source?.close()
    this.source = null
  }

  private replace(): void {
    this.context.timers.clearTimeout(this.timer)
    this.timer = this.context.timers.setTimeout(() => this.request(), 0)
  }

  private request(): void {
    this.source?.close()
    const withCredentials = this.context.credentials === 'include'
    const source = new this.EventSource(channelsUrl(this.context.baseUrl, this.members.values()), {
      withCredentials,
    })
    this.source = source
    // Events of a replaced request are ignored.
    const on = (type: string, handle: (event: { data: string; lastEventId: string }) => void) =>
      source.addEventListener(type, (event) => this.source === source && handle(event))

    source.onopen = () => this.source === source && this.open()
    // EventSource would reconnect on its own, with its own delay: the client's connection owns
    // reconnection (backoff, online, visibility), so the link fails and every source resumes.
    source.onerror = (event) => {
      if (this.source !== source) return
      source.close()
      this.fail(failure(event, this.wasOpen))
    }
    // EventSource dispatches by exact event name: each channel is listened to by name, a source
    // with an `event` option by `<channel>/<event>`.
    for (const { channel } of this.members.values()) {
      const event = this.events.get(channel)
      on(event ? `${channel}/${event}` : channel, ({ data, lastEventId }) => {
        this.activity()
        this.deliver(channel, { text: data, event: event ?? 'message', id: lastEventId || null })
      })
    }
    on('!cursor', ({ data }) => {
      const { channel = '', cursor } = control(data)
      if (cursor) this.cursor(channel, cursor)
    })
    on('!gap', ({ data }) => this.gap(control(data).channel ?? ''))
    on('!refused', ({ data }) => {
      const { channel = '', code, message = 'refused' } = control(data)
      // The client closes a source for good when `serverCode` is a final refusal
      // (ERR_FORBIDDEN); a failed authorize (ERR_AUTHORIZE) must be retryable to be retried.
      const error = new LiveDataError(
        'ERR_REFUSED',
        `The server refused "${channel}": ${message}`,
        {
          serverCode: code,
          retryable: code !== 'ERR_FORBIDDEN',
        },
      )
      this.refuse(channel, error)
    })
  }
}

/** What an EventSource error says: only the `eventsource` package tells the HTTP status. */
function failure(event: unknown, opened: boolean): LiveDataError {
  const status = (event as { code?: number } | null)?.code
  // A 4xx other than 408 and 429 will not heal by retrying (a browser does not say).
  const final =
    status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429
  const what = opened ? 'The event stream broke off' : 'The event stream failed to open'
  return new LiveDataError(opened ? 'ERR_CONNECTION_LOST' : 'ERR_NETWORK', what, {
    status,
    retryable: !final,
  })
}

/**
 * A transport named `'eventsource'` over the standard `EventSource`: every channel of a client
 * on one multiplexed SSE request to @livedata/server. EventSource cannot send request headers,
 * so the client's `headers` option cannot be honoured: with headers it refuses to start (the
 * client moves on to its next transport). Use cookies or the `query` option for credentials.
 *
 * @example
 * ```ts
 * import { createLiveClient } from '@livedata/core'
 * import { eventSourceTransport } from '@livedata/example-eventsource-transport'
 *
 * const eventsource = eventSourceTransport() // the browser's EventSource
 * const client = createLiveClient({ url: '/live', register: [eventsource], transports: ['eventsource'] })
 * ```
 */
export function eventSourceTransport(
  options: { EventSource?: EventSourceConstructor } = {},
): TransportDefinition {
  return {
    name: 'eventsource',
    // EventSource hides the server's heartbeat comments: silence cannot be told from death here.
    heartbeat: false,
    connect(context, handlers) {
      const EventSource =
        options.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource
      if (!EventSource || !context.channel || Object.keys(context.headers).length > 0) {
        const why = !EventSource
          ? 'No EventSource here'
          : !context.channel
            ? 'Channels of @livedata/server only'
            : 'EventSource cannot send request headers'
        throw new LiveDataError('ERR_UNSUPPORTED', why, { retryable: false })
      }
      // One link per client, base URL and credentials mode: every channel shares its request.
      const key = `eventsource ${context.baseUrl} ${context.credentials ?? ''}`
      const link = context.links.get(key, () => new EventSourceLink(context, EventSource))
      return link.attach(context, handlers)
    },
  }
}
