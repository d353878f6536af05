import { backlogSize } from './channel'
import { LiveServerError } from './errors'
import { checkChannel } from './names'
import { quote } from './quote'
import type { ChannelStart } from './transports/context'

/** The most channels one request may name, as on one WebSocket. */
export const MAX_CHANNELS_PER_REQUEST = 1000

/** The most characters of a resume id that are kept: an id we issued is far shorter. */
const MAX_ID = 64

const DIGITS = /^\d+$/

/** What `c` specs give: every channel's start, or the first problem, a sentence for people. */
export type ChannelSet = { starts: ChannelStart[] } | { problem: string }

/** How a spec is written, for the messages that refuse one. */
const FORMS = '<channel>, <channel>!<id> or <channel>*<n>'

/**
 * The id a client resumes after, cut to {@link MAX_ID} characters; `null` for none. One we never
 * issued is never found: the client gets a gap.
 *
 * @example
 * ```ts
 * resumeId('1700000000000-3') // '1700000000000-3'
 * resumeId('') // null
 * ```
 */
export function resumeId(raw: string | null | undefined): string | null {
  return raw === null || raw === undefined || raw === '' ? null : raw.slice(0, MAX_ID)
}

/** One spec: `name`, `name!<id>` or `name*<n>`; a problem string when it is none of them. */
function parseSpec(spec: string): ChannelStart | string {
  // `!` and `*` are outside the channel alphabet: the first of them ends the name.
  const at = spec.search(/[!*]/)
  const name = at === -1 ? spec : spec.slice(0, at)
  try {
    checkChannel(name)
  } catch (error) {
    const rule = error instanceof LiveServerError ? error.message : 'Invalid channel name'
    return `c=${quote(spec)}: ${rule}`
  }
  if (at === -1) return { channel: name, lastEventId: null, replay: 0 }
  const rest = spec.slice(at + 1)
  if (spec[at] === '!') {
    // An id is opaque to the protocol: anything after the `!` is it, `!` and `*` included.
    if (rest === '') return `c=${quote(spec)} has an empty id after "!"; write ${FORMS}`
    return { channel: name, lastEventId: resumeId(rest), replay: 0 }
  }
  if (!DIGITS.test(rest)) {
    return `c=${quote(spec)} needs a whole number of messages after "*"; write ${FORMS}`
  }
  // History caps the backlog later; `*0` is a fresh subscription without one.
  return { channel: name, lastEventId: null, replay: backlogSize(rest) }
}

/**
 * The channels a multiplexed request names with its `c` parameters, in their order, each with
 * where it starts: `name` (fresh: the server tells the cursor), `name!<id>` (resume after the
 * id, cut to 64 characters) or `name*<n>` (fresh with a backlog of `n`, capped by history).
 * None at all, a malformed spec, a bad name, a channel named twice or more than
 * {@link MAX_CHANNELS_PER_REQUEST} give the first problem instead.
 *
 * @example
 * ```ts
 * parseChannelSet(['prices!1700000000000-3', 'news', 'chat*50'])
 * // { starts: [{ channel: 'prices', lastEventId: '1700000000000-3', replay: 0 },
 * //            { channel: 'news', lastEventId: null, replay: 0 },
 * //            { channel: 'chat', lastEventId: null, replay: 50 }] }
 * ```
 */
export function parseChannelSet(specs: readonly string[]): ChannelSet {
  if (specs.length === 0) return { problem: `Name at least one channel: c=${FORMS}` }
  if (specs.length > MAX_CHANNELS_PER_REQUEST) {
    return {
      problem: `At most ${MAX_CHANNELS_PER_REQUEST} channels per request, got ${specs.length}; open a second request for the rest`,
    }
  }
  const starts: ChannelStart[] = []
  const seen = new Set<string>()
  for (const spec of specs) {
    const start = parseSpec(spec)
    if (typeof start === 'string') return { problem: start }
    if (seen.has(start.channel)) {
      return { problem: `The channel ${quote(start.channel)} is named twice; name each once` }
    }
    seen.add(start.channel)
    starts.push(start)
  }
  return { starts }
}
