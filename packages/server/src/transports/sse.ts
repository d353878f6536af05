import type { ServerResponse } from 'node:http'
import type { Subscriber } from '../channel'
import { sseFrame } from '../frames'
import type { StoredMessage } from '../history'
import type { HubSettings, LiveConnection } from '../hub'
import { Outbox } from '../outbox'
import { SSE_EVENTS } from '../protocol'
import { onlyChannel, reportSlow, type Serve } from './context'

/** One open SSE response. */
export class SseConnection implements Subscriber, LiveConnection {
  private closed = false
  private readonly outbox: Outbox<StoredMessage>

  constructor(
    private readonly response: ServerResponse,
    settings: HubSettings,
    /** Told when the client fell too far behind, before the stream is closed. */
    slow: () => void = () => {},
  ) {
    this.outbox = new Outbox(
      {
        send: (message) => {
          // Messages published in one tick leave in one write (one syscall), not one each.
          if (response.writableCorked === 0) {
            response.cork()
            process.nextTick(() => response.uncork())
          }
          response.write(sseFrame(message))
        },
        buffered: () => response.writableLength,
        // The client resumes from its last id on reconnect, so dropping it loses nothing.
        overflow: () => {
          if (this.closed) return
          slow()
          this.close()
        },
      },
      settings.maxBufferedBytes,
      settings.maxBacklog,
    )
    response.on('drain', () => this.outbox.pump())
  }

  /** Writes raw text (control lines, heartbeats) straight away. */
  write(text: string): void {
    if (!this.closed) this.response.write(text)
  }

  deliver(message: StoredMessage): void {
    if (!this.closed) this.outbox.push(message)
  }

  heartbeat(): void {
    this.write(':\n\n')
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.response.destroy()
  }
}

/**
 * Serves the request's channel as a text/event-stream, resuming after its `lastEventId` (or with
 * a backlog): the `retry` hint, then a `livedata.gap` event if history no longer reaches back,
 * the replay, and every message published from then on.
 */
export const serveSse: Serve = (context) => {
  const { response, cors, hub } = context
  const start = onlyChannel(context)
  const { settings, connections } = hub
  const channel = hub.channel(start.channel)
  response.writeHead(200, {
    ...cors,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // nginx buffers responses unless told not to.
    'X-Accel-Buffering': 'no',
  })
  response.socket?.setNoDelay(true)
  const connection = new SseConnection(response, settings, () =>
    reportSlow(context, 'sse', start.channel),
  )
  connections.add(connection)
  const replay = channel.subscribe(connection, start)
  let head = `retry: ${settings.retry}\n\n`
  // A fresh subscriber learns where it stands, so that a reconnect before the first message
  // still resumes from here (EventSource keeps the id too).
  if (replay.tellCursor) head += `id: ${replay.cursor}\nevent: ${SSE_EVENTS.cursor}\ndata\n\n`
  if (replay.gap) {
    const oldest = channel.history.oldest()?.id ?? null
    // The id is the client's, cut to 64 characters; JSON escapes any line break in it.
    const gap = JSON.stringify({ lastEventId: start.lastEventId, oldest })
    head += `event: ${SSE_EVENTS.gap}\ndata: ${gap}\n\n`
  }
  connection.write(head)
  for (const message of replay.messages) connection.deliver(message)
  const cleanup = (): void => {
    channel.unsubscribe(connection)
    connections.delete(connection)
    connection.close()
  }
  response.on('close', cleanup)
  response.on('error', cleanup)
}
