import type { Channel, Subscriber } from '../channel'
import type { Sink } from '../exchange'
import { socketFrame } from '../frames'
import type { StoredMessage } from '../history'
import type { HubSettings, LiveConnection } from '../hub'
import { Outbox } from '../outbox'
import { sharedJoin } from '../shared-join'
import { reportSlow, type StreamContext } from './context'
import { SSE_FRAMES, type StreamFrames } from './forms'
import { openChannels } from './openings'
import { fitsBatch, sseBatches } from './sse-batches'

/** The events of one tick, as one write. */
const joinEvents = sharedJoin('', '', '')

/** The least a stream's byte budget is: Node's response buffer (16 KiB) and more. */
const MIN_STREAM_BUDGET = 64 * 1024

/**
 * A stream's byte budget: `maxBufferedBytes`, and at least 64 KiB. Messages wait once the budget
 * is used and go out on the sink's drain, and a drain only comes after the sink said it is full:
 * a budget below the sink's own buffer would leave them waiting for good.
 *
 * @example
 * ```ts
 * streamBudget({ ...settings, maxBufferedBytes: 4096 }) // 65536
 * ```
 */
export function streamBudget(settings: HubSettings): number {
  return Math.max(settings.maxBufferedBytes, MIN_STREAM_BUDGET)
}

/**
 * The most frames a stream of `channels` channels may have waiting once its opening is out:
 * `maxBacklog` messages and a few control frames per channel. The opening replay (up to a
 * history per channel) is prepaid on top (`Outbox.prepay`), so it is never taken for a slow
 * client, yet a stream that stops reading holds no more than one history's worth of live frames.
 *
 * @example
 * ```ts
 * streamBacklog(settings, 3) // maxBacklog + 9
 * ```
 */
export function streamBacklog(settings: HubSettings, channels: number): number {
  return settings.maxBacklog + 3 * Math.max(1, channels)
}

/** One open SSE response, following one channel or many. */
export class SseConnection implements Subscriber, LiveConnection {
  private closed = false
  private readonly outbox: Outbox<string>

  constructor(
    private readonly sink: Sink,
    settings: HubSettings,
    private readonly frames: StreamFrames,
    /** Told when the client fell too far behind, before the stream is closed. */
    slow: () => void = () => {},
    channels = 1,
    /** The longest `!batch` data the client reads; 0 for one event per message. */
    private readonly batch = 0,
  ) {
    this.outbox = new Outbox(
      {
        text: (frame) => frame,
        // One tick's events leave in one write; a stream cut meanwhile takes nothing.
        write: (texts) => {
          if (this.closed) return
          if (batch > 0) sink.write(sseBatches(texts, batch))
          else sink.write(texts.length === 1 ? (texts[0] as string) : joinEvents(texts))
        },
        buffered: () => sink.buffered(),
        // The client resumes from its last ids on reconnect, so dropping it loses nothing.
        behind: () => {
          if (this.closed) return
          slow()
          this.close()
        },
        // A write that threw left the stream broken: end it; the client resumes.
        fail: () => this.close(),
      },
      streamBudget(settings),
      streamBacklog(settings, channels),
    )
    sink.drained(() => this.outbox.pump())
  }

  /** Queues the opening (the hint, control events, the replay), prepaid beyond the backlog limit. */
  begin(frames: readonly string[]): void {
    this.outbox.prepay(frames.length)
    for (const frame of frames) this.push(frame)
  }

  /** Queues a ready frame (the opening, control events) in order with the messages. */
  push(text: string): void {
    if (!this.closed) this.outbox.push(text)
  }

  deliver(message: StoredMessage): void {
    if (this.closed) return
    // A client that reads batches gets the message's socket frame, gathered into `!batch`
    // events at the end of the tick; one too long for any batch goes as an event of its own.
    const frame = this.batch > 0 ? socketFrame(message) : null
    const fits = frame !== null && fitsBatch(frame, this.batch)
    this.outbox.push(fits ? frame : this.frames.message(message))
  }

  heartbeat(): void {
    if (!this.closed) this.sink.write(':\n\n')
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.sink.destroy()
  }
}

/** The headers of an SSE answer, beside its CORS headers. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  // nginx buffers responses unless told not to.
  'X-Accel-Buffering': 'no',
}

/**
 * Streams the request's channels to `sink` (its head written, with {@link SSE_HEADERS}), each
 * resuming after its `lastEventId` (or with a backlog): the `retry` hint, then per channel its
 * cursor, gap or refusal and its replay, then every message published on any of them, in the
 * request's form. Returns what to call once the client went.
 *
 * @example
 * ```ts
 * const cleanup = streamSse(context, exchange.respond(200, { ...cors, ...SSE_HEADERS }))
 * exchange.closed.addEventListener('abort', cleanup)
 * ```
 */
export function streamSse(context: StreamContext, sink: Sink): () => void {
  const { hub } = context
  const { settings, connections } = hub
  const frames = SSE_FRAMES[context.form]
  const connection = new SseConnection(
    sink,
    settings,
    frames,
    () => reportSlow(context, 'sse'),
    context.channels.length,
    context.batch,
  )
  connections.add(connection)
  const followed: Channel[] = []
  const opened = openChannels(context.channels, (start) => {
    const channel = context.channel(start.channel)
    followed.push(channel)
    return { channel, subscription: channel.subscribe(connection, start) }
  })
  connection.begin(frames.opening(settings.retry, opened))
  return () => {
    for (const channel of followed) channel.unsubscribe(connection)
    connections.delete(connection)
    connection.close()
  }
}
