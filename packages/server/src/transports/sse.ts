import type { ServerResponse } from 'node:http'
import type { Channel, Subscriber } from '../channel'
import { sseFrame } from '../frames'
import type { StoredMessage } from '../history'
import type { HubSettings, LiveConnection } from '../hub'

/** One open SSE response. */
export class SseConnection implements Subscriber, LiveConnection {
  private closed = false

  constructor(
    private readonly response: ServerResponse,
    private readonly settings: HubSettings,
  ) {}

  /** Writes raw text, closing the connection when the client cannot keep up. */
  write(text: string): void {
    if (this.closed) return
    if (this.response.writableLength > this.settings.maxBufferedBytes) {
      // The client resumes from its last id on reconnect, so dropping it loses nothing.
      this.close()
      return
    }
    this.response.write(text)
  }

  deliver(message: StoredMessage): void {
    this.write(sseFrame(message))
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
 * Serves `channel` as a text/event-stream on `response`, resuming after `lastEventId`: the
 * `retry` hint, then a `livedata.gap` event if history no longer reaches back, the replay,
 * and every message published from then on.
 */
export function serveSse(
  response: ServerResponse,
  channel: Channel,
  lastEventId: string | null,
  settings: HubSettings,
  headers: Record<string, string>,
  connections: Set<LiveConnection>,
): void {
  response.writeHead(200, {
    ...headers,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // nginx buffers responses unless told not to.
    'X-Accel-Buffering': 'no',
  })
  response.socket?.setNoDelay(true)
  const connection = new SseConnection(response, settings)
  connections.add(connection)
  const replay = channel.subscribe(connection, lastEventId)
  let head = `retry: ${settings.retry}\n\n`
  // A fresh subscriber learns where it stands, so that a reconnect before the first message
  // still resumes from here (EventSource keeps the id too).
  if (lastEventId === null) head += `id: ${replay.cursor}\nevent: livedata.cursor\ndata\n\n`
  if (replay.gap) {
    const oldest = channel.history.oldest()?.id ?? null
    head += `event: livedata.gap\ndata: ${JSON.stringify({ lastEventId, oldest })}\n\n`
  }
  for (const message of replay.messages) head += sseFrame(message)
  connection.write(head)
  const cleanup = (): void => {
    channel.unsubscribe(connection)
    connections.delete(connection)
    connection.close()
  }
  response.on('close', cleanup)
  response.on('error', cleanup)
}
