import { LiveDataError } from '../errors'
import { channelRefusal, saidBy } from '../server-error'
import type { TransportContext, TransportDefinition, TransportHandlers } from '../types'
import { linkSubject } from './http'
import { type PollingSettings, pollLoop } from './poll-loop'
import { channelsUrl, RequestLink, requestLinkFor } from './request-link'

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
 * with its cursor, and one answer brings what each has new. A join or a leave asks again at once
 * with the new set (a held long poll is abandoned; its answer would be replayed from the cursors).
 */
class PollLink extends RequestLink {
  constructor(
    context: TransportContext,
    private readonly long: boolean,
    private readonly settings: PollingSettings,
  ) {
    super(context)
  }

  // The loop names the members at each request: a leave needs no new one (a held poll's answer
  // for a channel that left is dropped).
  protected override left(): void {}

  protected request(ready: () => void): () => void {
    let abandoned = false
    const stop = pollLoop(this.context, {
      ...this.settings,
      long: this.long,
      url: () =>
        channelsUrl(
          this.context.baseUrl,
          this.long ? 'long-polling' : 'polling',
          this.members.values(),
        ),
      subject: () => linkSubject(this.members.keys()),
      onOpen: () => {
        ready()
        this.open()
      },
      onActivity: () => this.activity(),
      onAnswer: (text) => this.answer(JSON.parse(text) as PollAnswer),
      onEnd: (error) => abandoned || this.fail(error),
    })
    return () => {
      abandoned = true
      stop()
    }
  }

  private answer(answer: PollAnswer): void {
    if (typeof answer.retry === 'number') this.retry(answer.retry)
    for (const [channel, said] of Object.entries(answer.channels ?? {})) {
      if (!this.members.has(channel) || typeof said !== 'object' || said === null) continue
      if (said.error !== undefined) {
        this.refuse(channel, channelRefusal(channel, saidBy(said.error)))
        continue
      }
      if (said.gap === true) this.gap(channel)
      const messages = Array.isArray(said.messages) ? said.messages : []
      for (const message of messages as Array<{ id?: unknown; event?: unknown; data?: unknown }>) {
        const id = typeof message?.id === 'string' ? message.id : null
        const event = typeof message?.event === 'string' ? message.event : 'message'
        this.deliver(channel, { value: message?.data, event, id })
      }
      if (typeof said.cursor === 'string') this.cursor(channel, said.cursor)
    }
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
