import {
  iframeArgument,
  jsonFrame,
  multiIframeArgument,
  multiSseFrame,
  scriptSafe,
  sseFrame,
} from '../frames'
import type { StoredMessage } from '../history'
import { IFRAME_TYPES, MULTI_SSE_EVENTS, SSE_EVENTS } from '../protocol'
import type { RequestForm } from './context'
import type { Opening } from './openings'

// What each HTTP transport writes, in the two forms of a request (docs/protocol.md): the
// per-channel form, whose frames name no channel, and the multiplexed form, whose every frame
// names its channel. The transports are the same for both; only these encoders differ.

/** The frames of a stream (SSE text, or the iframe's `p(...)` arguments) in one form. */
export interface StreamFrames {
  /**
   * Everything the stream starts with, in order: the opening (`retry`), then per channel its
   * control frames (cursor, gap, refusal) and its replay.
   */
  opening(retry: number, openings: readonly Opening[]): string[]
  /** One live message. Built once per message and form, and shared by every stream. */
  message(message: StoredMessage): string
}

/** Each opening's control frames then its replay, for the multiplexed streams. */
function perChannel(
  openings: readonly Opening[],
  control: (opening: Opening) => string[],
  message: (message: StoredMessage) => string,
): string[] {
  const frames: string[] = []
  for (const opening of openings) {
    frames.push(...control(opening))
    if (opening.refused) continue
    for (const replayed of opening.subscription.messages) frames.push(message(replayed))
  }
  return frames
}

/** An SSE control event: a name, and one line of JSON. */
const sseEvent = (name: string, data: unknown): string =>
  `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`

/** The SSE frames of each form. */
export const SSE_FRAMES: Readonly<Record<RequestForm, StreamFrames>> = {
  single: {
    opening(retry, openings) {
      let head = `retry: ${retry}\n\n`
      const replays: string[] = []
      for (const opening of openings) {
        if (opening.refused) continue
        const { subscription: replay, lastEventId, oldest } = opening
        // A fresh subscriber learns where it stands, so that a reconnect before the first
        // message still resumes from here (EventSource keeps the id too).
        if (replay.tellCursor) head += `id: ${replay.cursor}\nevent: ${SSE_EVENTS.cursor}\ndata\n\n`
        // The id is the client's, cut to 64 characters; JSON escapes any line break in it.
        if (replay.gap) head += sseEvent(SSE_EVENTS.gap, { lastEventId, oldest })
        for (const message of replay.messages) replays.push(sseFrame(message))
      }
      return [head, ...replays]
    },
    message: sseFrame,
  },
  multi: {
    opening(retry, openings) {
      const control = (opening: Opening): string[] => {
        const { channel } = opening
        if (opening.refused) {
          const { code, message } = opening.refused
          return [sseEvent(MULTI_SSE_EVENTS.refused, { channel, code, message })]
        }
        const { subscription: replay, lastEventId, oldest } = opening
        const frames: string[] = []
        if (replay.gap) {
          frames.push(sseEvent(MULTI_SSE_EVENTS.gap, { channel, lastEventId, oldest }))
        }
        // A fresh channel learns where it stands; so does one whose id history no longer knows
        // when nothing is replayed (a restarted server), so that its next request does not ask
        // for that dead id again. (A replay moves its cursor itself; a cursor before it would
        // make the client take the replay for seen.)
        if (replay.tellCursor || (replay.gap && replay.messages.length === 0)) {
          frames.push(sseEvent(MULTI_SSE_EVENTS.cursor, { channel, cursor: replay.cursor }))
        }
        return frames
      }
      // Refusals first: the head may span several chunks (a long replay), and a client never
      // takes a refused channel for open.
      const refused = openings.filter((opening) => opening.refused)
      const served = openings.filter((opening) => !opening.refused)
      return [
        ...refused.flatMap(control),
        `retry: ${retry}\n\n`,
        ...perChannel(served, control, multiSseFrame),
      ]
    },
    message: multiSseFrame,
  },
}

/** The script-safe JSON of an object the iframe document posts. */
const posted = (value: Record<string, unknown>): string => scriptSafe(JSON.stringify(value))

/** The iframe document's `p(...)` arguments in each form. */
export const IFRAME_FRAMES: Readonly<Record<RequestForm, StreamFrames>> = {
  single: {
    opening(retry, openings) {
      const frames: string[] = []
      for (const opening of openings) {
        if (opening.refused) continue
        const { subscription: replay } = opening
        const cursor = replay.tellCursor ? { cursor: replay.cursor } : {}
        frames.push(posted({ t: IFRAME_TYPES.open, ...cursor, retry }))
        if (replay.gap) frames.push(posted({ t: IFRAME_TYPES.gap }))
        for (const message of replay.messages) frames.push(iframeArgument(message))
      }
      return frames
    },
    message: iframeArgument,
  },
  multi: {
    opening(retry, openings) {
      const control = (opening: Opening): string[] => {
        const c = opening.channel
        if (opening.refused) {
          const { code, message } = opening.refused
          return [posted({ t: IFRAME_TYPES.refused, c, code, message })]
        }
        const { subscription: replay, lastEventId, oldest } = opening
        const frames: string[] = []
        if (replay.gap) frames.push(posted({ t: IFRAME_TYPES.gap, c, lastEventId, oldest }))
        // As in SSE: a fresh channel, or a gap with nothing replayed, learns its cursor.
        if (replay.tellCursor || (replay.gap && replay.messages.length === 0))
          frames.push(posted({ t: IFRAME_TYPES.cursor, c, cursor: replay.cursor }))
        return frames
      }
      // Refusals come before the opening: a page never takes a refused channel for open. (The
      // stream forms need no such care: their head arrives in one chunk, read before the open.)
      const refused = openings.filter((opening) => opening.refused)
      const served = openings.filter((opening) => !opening.refused)
      const open = posted({ t: IFRAME_TYPES.open, retry })
      return [
        ...refused.flatMap(control),
        open,
        ...perChannel(served, control, multiIframeArgument),
      ]
    },
    message: multiIframeArgument,
  },
}

/** The JSON body of a poll's answer in one form. */
export interface PollFrames {
  /**
   * Whether an answer names this channel: always in the per-channel form (it has one); in the
   * multiplexed form only when it has something to say (channels with nothing new are left out).
   */
  names(opening: Opening, saysSomething: boolean): boolean
  /** The body, for the channels it names. */
  body(retry: number, answers: readonly Opening[]): string
}

/** `{"cursor","gap","messages"}` of one channel, without the braces' end. */
function channelAnswer(opening: Opening & { refused?: undefined }, withRetry?: number): string {
  const { cursor, gap, messages } = opening.subscription
  const retry = withRetry === undefined ? '' : `,"retry":${withRetry}`
  return `{"cursor":${JSON.stringify(cursor)},"gap":${gap}${retry},"messages":[${messages.map(jsonFrame).join(',')}]}`
}

/** The poll answers of each form. */
export const POLL_FRAMES: Readonly<Record<RequestForm, PollFrames>> = {
  single: {
    names: () => true,
    body(retry, answers) {
      const [only] = answers
      if (only === undefined || only.refused) throw new Error('a poll answers its one channel')
      return channelAnswer(only, retry)
    },
  },
  multi: {
    names: (_opening, saysSomething) => saysSomething,
    body(retry, answers) {
      const channels = answers.map((opening) => {
        const name = JSON.stringify(opening.channel)
        if (opening.refused) return `${name}:${JSON.stringify({ error: opening.refused })}`
        return `${name}:${channelAnswer(opening)}`
      })
      return `{"retry":${retry},"channels":{${channels.join(',')}}}`
    },
  },
}
