import { type Refusal, refusalOf } from './authorization'
import { parseChannelSet } from './channel-set'
import type { AuthorizeContext, Hub } from './hub'
import type { ServerSettings } from './settings'
import type { ChannelStart } from './transports/context'

/**
 * The channels a multiplexed subscribing request names (`?c=…`), or the sentence of its `400`:
 * the same for every front end (node:http and `live.fetch`).
 *
 * @example
 * ```ts
 * const named = namedChannels(settings, url.searchParams.getAll('c'))
 * if ('problem' in named) return answer400(named.problem)
 * ```
 */
export function namedChannels(
  settings: ServerSettings,
  specs: string[],
): { starts: ChannelStart[] } | { problem: string } {
  const set = parseChannelSet(specs)
  if (!('problem' in set)) return { starts: set.starts }
  if (specs.length > 0) return { problem: set.problem }
  return {
    problem: `GET ${settings.path || '/'} serves every channel of a client in one request: ?transport=<sse|long-polling|polling|iframe>&c=<channel>&c=<channel>!<id>&c=<channel>*<n>; one channel alone is GET ${settings.path}/<channel>`,
  }
}

/**
 * Asks `authorize` for every channel of a subscribing request, in parallel. The per-channel form
 * (`single`) is refused whole (`{ refusal }`, answered with its status); the multiplexed form
 * serves the others and marks each refused channel, to be said in the stream.
 *
 * @example
 * ```ts
 * const checked = await authorizeStarts(hub, starts, { transport, request, headers }, false)
 * if ('refusal' in checked) return answer(checked.refusal)
 * ```
 */
export async function authorizeStarts(
  hub: Hub,
  starts: ChannelStart[],
  asking: Pick<AuthorizeContext, 'transport' | 'request' | 'headers'>,
  single: boolean,
): Promise<{ refusal: Refusal } | { starts: ChannelStart[] }> {
  const verdicts = await Promise.all(
    starts.map(({ channel }) => hub.authorize({ ...asking, channel, action: 'subscribe' })),
  )
  const { retry } = hub.settings
  if (single) {
    const [start] = starts
    const [verdict] = verdicts
    if (start !== undefined && verdict !== undefined && verdict !== 'allowed') {
      return { refusal: refusalOf(verdict, 'subscribe', start.channel, retry) }
    }
    return { starts }
  }
  return {
    starts: starts.map((start, i) => {
      const verdict = verdicts[i] ?? 'failed'
      if (verdict === 'allowed') return start
      const { code, message } = refusalOf(verdict, 'subscribe', start.channel, retry)
      return { ...start, refused: { code, message } }
    }),
  }
}
