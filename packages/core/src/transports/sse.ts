import { LiveDataError } from '../errors'
import { ChannelsControl } from '../protocol'
import { channelRefusal, saidBy } from '../server-error'
import type { ServerSentEvent } from '../sse-parser'
import type {
  TransportConnection,
  TransportContext,
  TransportDefinition,
  TransportHandlers,
} from '../types'
import { readEventStream } from './event-stream'
import { linkSubject, withParam } from './http'
import { channelsUrl, type LinkRequest, RequestLink, requestLinkFor } from './request-link'

const ACCEPT = { Accept: 'text/event-stream' }

/** A standard SSE endpoint nobody wrote for @livedata: each event is a message. */
function plainStream(context: TransportContext, handlers: TransportHandlers): TransportConnection {
  const headers: Record<string, string> = { ...ACCEPT }
  if (context.lastEventId) headers['Last-Event-ID'] = context.lastEventId
  const subject = context.url.split('?')[0] as string
  const abort = readEventStream(context, context.url, headers, subject, {
    // A plain endpoint is open with its headers.
    onOpen: (firstByte) => firstByte || handlers.onOpen(),
    onActivity: handlers.onActivity,
    onEvent: (event) =>
      handlers.onMessage({ text: event.data, event: event.event, id: event.id || null }),
    onRetry: handlers.onRetry,
    onError: handlers.onError,
    onEnd: handlers.onClose,
  })
  return { close: abort }
}

/** Reads the JSON of a control event; `{}` for anything else. */
function control(event: ServerSentEvent): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(event.data)
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/**
 * One text/event-stream of @livedata/server for every channel of a client. An event is named
 * for its channel (`prices`, or `prices/trade` for a named event); `!cursor`, `!gap` and
 * `!refused` are control events about the channel their data names.
 */
class SseLink extends RequestLink {
  protected start(request: LinkRequest): () => void {
    // `batch`: the messages of one tick may come as one `!batch` event, its data at most this long.
    const { baseUrl, maxMessageSize } = this.context
    const url = withParam(
      channelsUrl(baseUrl, 'sse', request.channels),
      'batch',
      String(maxMessageSize),
    )
    const subject = linkSubject(request.channels.map(({ channel }) => channel))
    let opened = false
    return readEventStream(this.context, url, ACCEPT, subject, {
      // Our server writes `retry:` at once, so the stream waits for that first byte: a proxy
      // that buffers the body never counts as open.
      onOpen: (firstByte) => {
        if (!firstByte || opened) return
        opened = true
        request.ready()
      },
      onActivity: () => request.activity(),
      onEvent: (event) => readEvent(request, event),
      onRetry: (ms) => request.retry(ms),
      onError: (error) => request.error(error),
      onEnd: (error) => request.end(error),
    })
  }
}

/** Hands one event of a multiplexed stream to the request it came on. */
function readEvent(request: LinkRequest, event: ServerSentEvent): void {
  const name = event.event
  if (name === ChannelsControl.Batch) return readBatch(request, event.data)
  if (name.startsWith('!')) {
    const said = control(event)
    const channel = typeof said.channel === 'string' ? said.channel : ''
    if (name === ChannelsControl.Cursor && typeof said.cursor === 'string') {
      request.cursor(channel, said.cursor)
    } else if (name === ChannelsControl.Gap) {
      request.gap(channel)
    } else if (name === ChannelsControl.Refused) {
      request.refuse(channel, channelRefusal(channel, saidBy(said)))
    }
    return
  }
  const slash = name.indexOf('/')
  const channel = slash < 0 ? name : name.slice(0, slash)
  const type = slash < 0 ? 'message' : name.slice(slash + 1)
  request.deliver(channel, { text: event.data, event: type, id: event.id || null })
}

/** The messages of a `!batch` event, in order; anything that is not one is skipped. */
function readBatch(request: LinkRequest, data: string): void {
  let frames: unknown
  try {
    frames = JSON.parse(data)
  } catch {
    return request.error(new LiveDataError('ERR_PARSE', 'A batch from the server was skipped'))
  }
  if (!Array.isArray(frames)) return
  for (const frame of frames as Array<Record<string, unknown> | null>) {
    if (typeof frame?.channel !== 'string') continue
    const { channel, id, event, data: value } = frame
    request.deliver(channel, {
      value,
      event: typeof event === 'string' ? event : 'message',
      id: typeof id === 'string' ? id : null,
    })
  }
}

/**
 * Server-Sent Events over `fetch`, so that request headers (tokens) work, which `EventSource`
 * cannot send. Against @livedata/server, one stream per client carries every channel its sources
 * follow (joining or leaving one replaces it, each channel resuming from its own id); against
 * any other URL it reads the standard text/event-stream, one stream per source.
 *
 * @example
 * ```ts
 * import { createLiveClient, sse } from '@livedata/core/base'
 * const client = createLiveClient({ url: '/live', transports: [sse] })
 * ```
 */
export const sse: TransportDefinition = {
  name: 'sse',
  connect(context, handlers) {
    if (!context.channel) return plainStream(context, handlers)
    const key = `sse ${context.baseUrl} ${JSON.stringify(context.headers)}`
    return requestLinkFor(context, key, () => new SseLink(context)).attach(context, handlers)
  },
}
