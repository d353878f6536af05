import { createHash } from 'node:crypto'
import type { Channel, Subscriber } from '../channel'
import type { Sink } from '../exchange'
import { jsonFrame } from '../frames'
import type { StoredMessage } from '../history'
import type { HubSettings, LiveConnection } from '../hub'
import type { RequestForm, StreamContext } from './context'
import { POLL_FRAMES } from './forms'
import { type Opening, openChannels, saysSomething } from './openings'

/** The most an answer carries; the rest waits for the next request, from the answer's cursors. */
const MAX_ANSWER_BYTES = 512 * 1024

/**
 * Keeps what fits in one answer: the first channel with messages keeps at least one; a channel
 * cut short has its cursor moved to its last kept message; a later channel whose messages no
 * longer fit at all is left out (its client asks again from the same cursor, and gets them).
 */
function fit(answers: readonly Opening[]): Opening[] {
  let size = 0
  let kept = false
  const fitted: Opening[] = []
  for (const opening of answers) {
    if (opening.refused || opening.subscription.messages.length === 0) {
      fitted.push(opening)
      continue
    }
    const { messages } = opening.subscription
    let count = 0
    for (const message of messages) {
      const next = size + jsonFrame(message).length + 1
      if ((kept || count > 0) && next > MAX_ANSWER_BYTES) break
      size = next
      count++
    }
    if (count === 0) continue
    kept = true
    if (count === messages.length) {
      fitted.push(opening)
      continue
    }
    const taken = messages.slice(0, count)
    const cursor = (taken.at(-1) as StoredMessage).id
    fitted.push({ ...opening, subscription: { ...opening.subscription, messages: taken, cursor } })
  }
  return fitted
}

/** The ETag of an answer: its one cursor (per-channel form), or a digest of every cursor. */
function etagOf(form: RequestForm, answers: readonly Opening[]): string {
  const cursors = answers.map((opening) =>
    opening.refused
      ? `${opening.channel}:${opening.refused.code}`
      : `${opening.channel}=${opening.subscription.cursor}`,
  )
  if (form === 'single') {
    const [only] = answers
    return only && !only.refused ? `"${only.subscription.cursor}"` : '""'
  }
  return `"${createHash('sha1').update(cursors.join('\n')).digest('base64url')}"`
}

/** What a poll answers, in the request's form: the channels it names, fitted to the budget. */
function answersOf(form: RequestForm, opened: readonly Opening[]): Opening[] {
  const frames = POLL_FRAMES[form]
  return fit(opened.filter((opening) => frames.names(opening, saysSomething(opening))))
}

const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-cache',
}

/** Starts an answer with its status and headers: an exchange's `respond`. */
export type Respond = (status: number, headers: Record<string, string>, headNow?: boolean) => Sink

/** What a poll needs of a request, whatever runtime carries it. */
export type PollContext = Pick<
  StreamContext,
  'form' | 'channels' | 'cors' | 'hub' | 'channel' | 'peek'
>

/** How a poll answers on its runtime. */
export interface PollAnswer {
  /** Starts an answer that is written at once. */
  respond: Respond
  /** Starts the answer of a held long poll: its head goes out now, its body later. */
  hold: Respond
  /** Calls `listener` once the client went. */
  closed(listener: () => void): void
  /** The request's `If-None-Match`, if any. */
  ifNoneMatch: string | undefined
}

/** Ends a poll with the answer for `opened`, in the request's form. */
function answer(
  respond: Respond,
  headers: Record<string, string>,
  form: RequestForm,
  opened: readonly Opening[],
  retry: number,
): void {
  const answers = answersOf(form, opened)
  respond(200, { ...headers, ...JSON_HEADERS, ETag: etagOf(form, answers) }).end(
    POLL_FRAMES[form].body(retry, answers),
  )
}

/**
 * Short polling: answers at once with what came after each channel's `lastEventId` (or the
 * backlog asked for). When nothing did and the client already holds these cursors
 * (`If-None-Match`), the answer is an empty 304. A poll subscribes to nothing: it must not
 * create a channel for a name it made up.
 */
export function answerPoll(context: PollContext, io: PollAnswer): void {
  const { cors: headers, hub, form } = context
  const opened = openChannels(context.channels, (start) => {
    const channel = context.peek(start.channel)
    return { channel, subscription: channel.replay(start) }
  })
  const answers = answersOf(form, opened)
  const quiet = answers.every(
    (opening) =>
      opening.refused === undefined &&
      opening.subscription.messages.length === 0 &&
      !opening.subscription.gap,
  )
  const etag = etagOf(form, answers)
  if (quiet && io.ifNoneMatch === etag) {
    io.respond(304, { ...headers, ETag: etag, 'Cache-Control': 'no-cache' }).end()
    return
  }
  answer(io.respond, headers, form, opened, hub.settings.retry)
}

/** A channel a held long poll follows, and where its client stands on it. */
interface Followed {
  channel: Channel
  opening: Opening & { refused?: undefined }
}

/** A held long poll: the first messages published on any of its channels end it, batched within one tick. */
class HeldPoll implements Subscriber, LiveConnection {
  private batch: StoredMessage[] = []
  private done = false
  private readonly timer: ReturnType<typeof setTimeout>

  constructor(
    private readonly sink: Sink,
    private readonly followed: readonly Followed[],
    private readonly form: RequestForm,
    private readonly settings: HubSettings,
    private readonly connections: Set<LiveConnection>,
    closed: (listener: () => void) => void,
  ) {
    this.timer = setTimeout(() => this.finish(), settings.longPollTimeout)
    closed(() => this.stop())
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
    // Each channel's messages of the batch, its cursor moved past them.
    const opened = this.followed.map(({ opening }): Opening => {
      const messages = this.batch.filter((message) => message.channel === opening.channel)
      const cursor = messages.at(-1)?.id ?? opening.subscription.cursor
      return { ...opening, subscription: { messages, gap: false, cursor, tellCursor: false } }
    })
    this.stop()
    // The head went out when the poll was held: only the body is left.
    this.sink.end(POLL_FRAMES[this.form].body(this.settings.retry, answersOf(this.form, opened)))
  }

  private stop(): void {
    this.done = true
    clearTimeout(this.timer)
    for (const { channel } of this.followed) channel.unsubscribe(this)
    this.connections.delete(this)
  }

  /** The server is closing: the client sees the request fail and resumes elsewhere. */
  close(): void {
    if (this.done) return
    this.stop()
    this.sink.destroy()
  }
}

/**
 * Long polling: answers at once when any channel has something to say (messages after its
 * `lastEventId`, a gap, a refusal, or a fresh client's cursor or backlog), otherwise holds the
 * request until a message is published on any of them or `longPollTimeout` passes. Only a held
 * poll needs its channels kept, so polls on names a client made up, answered at once, leave
 * nothing behind.
 */
export function answerLongPoll(context: PollContext, io: PollAnswer): void {
  const { cors: headers, hub, form } = context
  const { settings, connections } = hub
  const opened = openChannels(context.channels, (start) => {
    const channel = context.peek(start.channel)
    return { channel, subscription: channel.replay(start) }
  })
  if (opened.some(saysSomething)) {
    answer(io.respond, headers, form, opened, settings.retry)
    return
  }
  // Nothing yet: every replay was empty and subscribing happens in the same tick, so nothing
  // can be published in between. The headers go out now, so the client knows it is through.
  const sink = io.hold(200, { ...headers, ...JSON_HEADERS })
  const followed: Followed[] = []
  for (const opening of opened) {
    if (opening.refused) continue
    followed.push({ channel: context.channel(opening.channel), opening })
  }
  const held = new HeldPoll(sink, followed, form, settings, connections, io.closed)
  for (const { channel, opening } of followed) {
    channel.subscribe(held, { lastEventId: opening.lastEventId })
  }
  connections.add(held)
}
