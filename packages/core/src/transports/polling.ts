import { LiveDataError } from '../errors'
import { channelRefusal, saidBy } from '../server-error'
import type { TransportContext, TransportDefinition, TransportHandlers } from '../types'
import { linkSubject } from './http'
import { type PollingSettings, pollLoop } from './poll-loop'
import { channelsUrl, type LinkRequest, RequestLink, requestLinkFor } from './request-link'

export type { PollingSettings } from './poll-loop'

/** One channel's part of a poll's answer; see docs/protocol.md. */
interface ChannelAnswer {
  cursor?: unknown
  gap?: unknown
  messages?: unknown
  error?: unknown
}

/** A poll's answer for every channel of a client. */
interface PollAnswer {
  retry?: unknown
  channels?: Record<string, ChannelAnswer>
}

/** A plain URL nobody wrote for @livedata: each long-poll answer, or each changed short-poll answer, is a message. */
function plainPolls(
  context: TransportContext,
  handlers: TransportHandlers,
  long: boolean,
  settings: PollingSettings,
) {
  let lastText: string | null = null
  const stop = pollLoop(context, {
    ...settings,
    long,
    url: () => context.url,
    subject: () => context.url.split('?')[0] as string,
    onOpen: handlers.onOpen,
    onActivity: handlers.onActivity,
    onAnswer(text) {
      if (long || text !== lastText) handlers.onMessage({ text, event: 'message', id: null })
      lastText = text
    },
    onEnd: handlers.onClose,
  })
  return { close: stop }
}

/**
 * Polls of @livedata/server for every channel of a client: one request names them all, each
 * with its cursor, and one answer brings what each has new. A join starts a loop for the new set
 * beside the old one, which stops once the new one answered (an answer lost with it is replayed
 * from the cursors).
 */
class PollLink extends RequestLink {
  constructor(
    context: TransportContext,
    private readonly long: boolean,
    private readonly settings: PollingSettings,
  ) {
    super(context)
  }

  protected start(request: LinkRequest): () => void {
    const transport = this.long ? 'long-polling' : 'polling'
    // Each poll names the channels of this request still on the link, from their cursors now.
    const named = () => {
      const members = request.members()
      return members.length > 0 ? members : request.channels
    }
    return pollLoop(this.context, {
      ...this.settings,
      long: this.long,
      url: () => channelsUrl(this.context.baseUrl, transport, named()),
      subject: () => linkSubject(named().map(({ channel }) => channel)),
      onOpen: () => request.ready(),
      onActivity: () => request.activity(),
      onAnswer: (text) => readAnswer(request, JSON.parse(text) as PollAnswer),
      onEnd: (error) => request.end(error),
    })
  }
}

/** Hands a poll's answer to the request it answers, channel by channel. */
function readAnswer(request: LinkRequest, answer: PollAnswer): void {
  if (typeof answer.retry === 'number') request.retry(answer.retry)
  for (const [channel, said] of Object.entries(answer.channels ?? {})) {
    if (typeof said !== 'object' || said === null) continue
    if (said.error !== undefined) {
      request.refuse(channel, channelRefusal(channel, saidBy(said.error)))
      continue
    }
    if (said.gap === true) request.gap(channel)
    const messages = Array.isArray(said.messages) ? said.messages : []
    for (const message of messages as Array<{ id?: unknown; event?: unknown; data?: unknown }>) {
      const id = typeof message?.id === 'string' ? message.id : null
      const event = typeof message?.event === 'string' ? message.event : 'message'
      request.deliver(channel, { value: message?.data, event, id })
    }
    if (typeof said.cursor === 'string') request.cursor(channel, said.cursor)
  }
}

function pollingDefinition(long: boolean, settings: PollingSettings): TransportDefinition {
  const name = long ? 'long-polling' : 'polling'
  return {
    name,
    // Short polling is quiet between requests by design: silence is no sign of death there.
    heartbeat: long,
    connect(context, handlers) {
      if (!context.channel) return plainPolls(context, handlers, long, settings)
      // Links differ by settings too: two pollingTransport()s with other intervals poll apart.
      const key = `${name} ${JSON.stringify(settings)} ${context.baseUrl} ${JSON.stringify(context.headers)}`
      const link = requestLinkFor(context, key, () => new PollLink(context, long, settings))
      return link.attach(context, handlers)
    },
  }
}

/**
 * Long polling: the server holds each request until there is data or its timeout, and the
 * client asks again at once. Against @livedata/server one long poll carries every channel of the
 * client; against a plain URL, each answer (not 204) is a message.
 *
 * @example
 * ```ts
 * createLiveClient({ url: '/live', transports: ['long-polling'] })
 * ```
 */
export const longPolling: TransportDefinition = pollingDefinition(true, {})

/**
 * Short polling with its settings: `interval` ms between an answer and the next request, and
 * whether to go on while the page is hidden (`pollWhenHidden`).
 *
 * @example
 * ```ts
 * client.source('weather', { url: '/api/weather.json', transport: pollingTransport({ interval: 60_000 }) })
 * createLiveClient({ url: '/live', transports: ['websocket', pollingTransport({ interval: 5000 })] })
 * ```
 */
export function pollingTransport(settings: PollingSettings = {}): TransportDefinition {
  const { interval } = settings
  if (interval !== undefined && !(interval >= 0 && interval <= 2 ** 31 - 1)) {
    throw new LiveDataError(
      'ERR_INVALID_OPTIONS',
      `pollingTransport: interval must be a number of ms from 0 to 2^31 - 1, got ${interval}`,
      { retryable: false },
    )
  }
  return pollingDefinition(false, settings)
}

/**
 * Short polling: a request, then the next one `interval` (2 s; see {@link pollingTransport}) after
 * the answer; `ETag` and `If-None-Match` make an unchanged answer a 304; paused while the page is
 * hidden. Against @livedata/server one poll asks for every channel of the client; against a plain
 * JSON URL, each changed answer is a message.
 *
 * @example
 * ```ts
 * client.source('weather', { url: '/api/weather.json', transport: 'polling' })
 * ```
 */
export const polling: TransportDefinition = pollingTransport()
