import type { ServerResponse } from 'node:http'
import type { Channel, Subscriber, Subscription } from '../channel'
import { jsonFrame } from '../frames'
import type { StoredMessage } from '../history'
import type { HubSettings, LiveConnection } from '../hub'
import { onlyChannel, type Serve } from './context'

/**
 * The body of a poll's answer: the messages after the id asked for, whether history still
 * reached back to it, and the cursor to ask from next time.
 */
function pollBody(cursor: string, gap: boolean, messages: StoredMessage[], retry: number): string {
  return `{"cursor":"${cursor}","gap":${gap},"retry":${retry},"messages":[${messages.map(jsonFrame).join(',')}]}`
}

/** The most an answer carries; the rest waits for the next request, from the answer's cursor. */
const MAX_ANSWER_BYTES = 512 * 1024

/** Keeps the messages that fit in one answer (always at least one), and moves the cursor. */
function fit(replay: Subscription): Subscription {
  let size = 0
  let count = 0
  for (const message of replay.messages) {
    size += jsonFrame(message).length + 1
    if (count > 0 && size > MAX_ANSWER_BYTES) break
    count++
  }
  if (count === replay.messages.length) return replay
  const messages = replay.messages.slice(0, count)
  return { ...replay, messages, cursor: (messages.at(-1) as StoredMessage).id }
}

function answer(
  response: ServerResponse,
  headers: Record<string, string>,
  full: Subscription,
  retry: number,
): void {
  const replay = fit(full)
  if (!response.headersSent) {
    response.writeHead(200, {
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-cache',
      ETag: `"${replay.cursor}"`,
    })
  }
  response.end(pollBody(replay.cursor, replay.gap, replay.messages, retry))
}

/**
 * Short polling: answers at once with what came after `start.lastEventId` (or the backlog asked
 * for). When nothing did and the client already holds this cursor (`If-None-Match`), the answer
 * is an empty 304. A poll subscribes to nothing: it must not create a channel for a name it made up.
 */
export const servePoll: Serve = (context) => {
  const { request, response, cors: headers, hub } = context
  const start = onlyChannel(context)
  const replay = hub.peek(start.channel).replay(start)
  const unchanged =
    replay.messages.length === 0 &&
    !replay.gap &&
    request.headers['if-none-match'] === `"${replay.cursor}"`
  if (unchanged) {
    response.writeHead(304, { ...headers, ETag: `"${replay.cursor}"`, 'Cache-Control': 'no-cache' })
    response.end()
    return
  }
  answer(response, headers, replay, hub.settings.retry)
}

/** A held long poll: the first messages published end it, batched within one tick. */
class HeldPoll implements Subscriber, LiveConnection {
  private batch: StoredMessage[] = []
  private done = false
  private readonly timer: ReturnType<typeof setTimeout>

  constructor(
    private readonly response: ServerResponse,
    private readonly channel: Channel,
    private readonly lastEventId: string,
    private readonly settings: HubSettings,
    private readonly headers: Record<string, string>,
    private readonly connections: Set<LiveConnection>,
  ) {
    this.timer = setTimeout(() => this.finish(), settings.longPollTimeout)
    response.on('close', () => this.stop())
  }

  deliver(message: StoredMessage): void {
    if (this.done) return
    this.batch.push(message)
    // Messages published in the same tick go out in one answer.
    if (this.batch.length === 1) queueMicrotask(() => this.finish())
  }

  heartbeat(): void {}

  private finish(): void {
    if (this.done) return
    const cursor = this.batch.at(-1)?.id ?? this.lastEventId
    const replay = { messages: this.batch, gap: false, cursor, tellCursor: false }
    this.stop()
    answer(this.response, this.headers, replay, this.settings.retry)
  }

  private stop(): void {
    this.done = true
    clearTimeout(this.timer)
    this.channel.unsubscribe(this)
    this.connections.delete(this)
  }

  /** The server is closing: the client sees the request fail and resumes elsewhere. */
  close(): void {
    if (this.done) return
    this.stop()
    this.response.destroy()
  }
}

/**
 * Long polling: answers at once when there is something after `start.lastEventId` (or the client
 * is new and needs its cursor or backlog), otherwise holds the request until a message is
 * published or `longPollTimeout` passes. Only a held poll needs the channel kept, so
 * polls on names a client made up, answered at once, leave nothing behind.
 */
export const serveLongPoll: Serve = (context) => {
  const { response, cors: headers, hub } = context
  const start = onlyChannel(context)
  const { settings, connections } = hub
  const { lastEventId } = start
  const replay = hub.peek(start.channel).replay(start)
  if (lastEventId === null || replay.gap || replay.messages.length > 0) {
    answer(response, headers, replay, settings.retry)
    return
  }
  // Nothing yet: the replay was empty and subscribing happens in the same tick, so nothing
  // can be published in between. The headers go out now, so the client knows it is through.
  response.writeHead(200, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-cache',
  })
  response.flushHeaders()
  const channel = hub.channel(start.channel)
  const held = new HeldPoll(response, channel, lastEventId, settings, headers, connections)
  channel.subscribe(held, start)
  connections.add(held)
}
