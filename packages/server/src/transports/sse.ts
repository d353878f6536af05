import type { ServerResponse } from 'node:http'
import type { Channel, Subscriber } from '../channel'
import type { StoredMessage } from '../history'
import type { HubSettings, LiveConnection } from '../hub'
import { Outbox } from '../outbox'
import { reportSlow, type Serve } from './context'
import { SSE_FRAMES, type StreamFrames } from './forms'
import { openChannels } from './openings'

/**
 * The most frames a stream of `channels` channels may have waiting: a whole history of each
 * (its replay) and its control frames, so that a long replay is never taken for a slow client.
 *
 * @example
 * ```ts
 * streamBacklog(settings, 3) // 3 × maxBacklog + 9
 * ```
 */
export function streamBacklog(settings: HubSettings, channels: number): number {
  const count = Math.max(1, channels)
  return settings.maxBacklog * count + 3 * count
}

/** One open SSE response, following one channel or many. */
export class SseConnection implements Subscriber, LiveConnection {
  private closed = false
  private readonly outbox: Outbox<string>

  constructor(
    private readonly response: ServerResponse,
    settings: HubSettings,
    private readonly frames: StreamFrames,
    /** Told when the client fell too far behind, before the stream is closed. */
    slow: () => void = () => {},
    channels = 1,
  ) {
    this.outbox = new Outbox(
      {
        send: (text) => {
          // Messages published in one tick leave in one write (one syscall), not one each.
          if (response.writableCorked === 0) {
            response.cork()
            process.nextTick(() => response.uncork())
          }
          response.write(text)
        },
        buffered: () => response.writableLength,
        // The client resumes from its last ids on reconnect, so dropping it loses nothing.
        overflow: () => {
          if (this.closed) return
          slow()
          this.close()
        },
      },
      settings.maxBufferedBytes,
      streamBacklog(settings, channels),
    )
    response.on('drain', () => this.outbox.pump())
  }

  /** Queues a ready frame (the opening, control events) in order with the messages. */
  push(text: string): void {
    if (!this.closed) this.outbox.push(text)
  }

  deliver(message: StoredMessage): void {
    if (!this.closed) this.outbox.push(this.frames.message(message))
  }

  heartbeat(): void {
    if (!this.closed) this.response.write(':\n\n')
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.response.destroy()
  }
}

/**
 * Serves the request's channels as one text/event-stream, each resuming after its
 * `lastEventId` (or with a backlog): the `retry` hint, then per channel its cursor, gap or
 * refusal and its replay, then every message published on any of them, in the request's form.
 */
export const serveSse: Serve = (context) => {
  const { response, cors, hub } = context
  const { settings, connections } = hub
  const frames = SSE_FRAMES[context.form]
  response.writeHead(200, {
    ...cors,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // nginx buffers responses unless told not to.
    'X-Accel-Buffering': 'no',
  })
  response.socket?.setNoDelay(true)
  const connection = new SseConnection(
    response,
    settings,
    frames,
    () => reportSlow(context, 'sse'),
    context.channels.length,
  )
  connections.add(connection)
  const followed: Channel[] = []
  const opened = openChannels(context.channels, (start) => {
    const channel = hub.channel(start.channel)
    followed.push(channel)
    return { channel, subscription: channel.subscribe(connection, start) }
  })
  for (const frame of frames.opening(settings.retry, opened)) connection.push(frame)
  const cleanup = (): void => {
    for (const channel of followed) channel.unsubscribe(connection)
    connections.delete(connection)
    connection.close()
  }
  response.on('close', cleanup)
  response.on('error', cleanup)
}
