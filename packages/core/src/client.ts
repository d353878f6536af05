import { DEFAULT_RECONNECT, type ReconnectPolicy } from './backoff'
import { splitBase } from './credentials'
import { shareAcrossTabs } from './cross-tab/share'
import { browserEnvironment, globalTimers } from './environment'
import { LiveDataError } from './errors'
import { createFailover } from './failover'
import { createInspector, type Inspector, type InspectReport } from './inspector'
import { LinkPool } from './link'
import { warnOnOtherOptions } from './options-warning'
import { createPersistedSends } from './persisted-sends'
import { CHANNEL_NAME } from './protocol'
import { createSource, type InternalSource } from './source'
import type {
  LiveClient,
  LiveClientOptions,
  SourceOptions,
  TabRole,
  TransportDefinition,
  TransportName,
} from './types'
import { createUpgradeProber } from './upgrade-prober'

/** Transports known by name to a client factory. */
export type TransportRegistry = { [name: string]: TransportDefinition | undefined }

/** The default preference order; `iframe` is opt-in. */
export const DEFAULT_TRANSPORTS: readonly TransportName[] = [
  'websocket',
  'sse',
  'long-polling',
  'polling',
]

// Timers take at most 2^31 - 1 ms; past that they would fire at once. No delay stays none.
const clampDelay = <T extends number | undefined>(ms: T): T =>
  (ms && Math.min(ms, 2 ** 31 - 1)) as T

/** Throws `ERR_INVALID_OPTIONS` with `message` unless `ok`. */
function check(ok: unknown, message: string): void {
  if (!ok) throw new LiveDataError('ERR_INVALID_OPTIONS', message, { retryable: false })
}

/** Checks the numeric options against their ranges: [name, value, lowest, highest]. */
function checkNumbers(entries: Array<[string, number | undefined, number, number]>): void {
  for (const [name, value, low, high] of entries) {
    check(
      value === undefined || (value >= low && value <= high),
      `${name} must be a number from ${low} to ${high}, got ${value}`,
    )
  }
}

function resolveTransport(
  entry: TransportName | TransportDefinition,
  registry: TransportRegistry,
): TransportDefinition {
  const found = typeof entry === 'string' ? registry[entry] : entry
  if (!found?.connect) {
    const names = Object.keys(registry)
    const known = names.length ? `use one of ${names.map((n) => `"${n}"`).join(', ')}, or ` : ''
    check(
      false,
      entry === 'socket.io'
        ? `Unknown transport "socket.io": it is not built in; import { socketIo } from '@livedata/socket.io' and pass createLiveClient({ register: [socketIo] })`
        : `Unknown transport "${String(entry)}": ${known}pass a transport object (import { sse } from '@livedata/core')`,
    )
  }
  return found as TransportDefinition
}

/**
 * Builds `createLiveClient` over a set of transports known by name. `@livedata/core` uses it with
 * every built-in transport, `@livedata/core/base` with none (pass transport objects, ship less).
 *
 * @example
 * ```ts
 * const createLiveClient = createClientFactory({ sse })
 * ```
 */
export function createClientFactory(registry: TransportRegistry) {
  return function createLiveClient(options: LiveClientOptions = {}): LiveClient {
    const { url, reconnect = {} } = options
    const INF = Number.POSITIVE_INFINITY
    // One URL, or several (server nodes): a round that fails on one moves to the next.
    const urls = [url ?? []].flat()
    check(
      url === undefined ||
        (urls.length && urls.every((entry) => entry && typeof entry === 'string')),
      'url must be a non-empty string or a non-empty list of them',
    )
    checkNumbers([
      ['reconnect.minDelay', reconnect.minDelay, 0, INF],
      ['reconnect.maxDelay', reconnect.maxDelay, 0, INF],
      ['reconnect.factor', reconnect.factor, 1, INF],
      ['reconnect.jitter', reconnect.jitter, 0, 1],
      ['reconnect.maxAttempts', reconnect.maxAttempts, 0, INF],
      ['heartbeatTimeout', options.heartbeatTimeout, 1, INF],
      ['disconnectDelay', options.disconnectDelay, 0, INF],
      ['maxMessageSize', options.maxMessageSize, 1, INF],
      ['openTimeout', options.openTimeout, 1, INF],
      ['maxQueuedSends', options.maxQueuedSends, 0, INF],
      ['sendTimeout', options.sendTimeout, 1, INF],
    ])
    for (const name of ['headers', 'query'] as const) {
      const value = options[name]
      check(
        value === undefined || typeof value === 'object' || typeof value === 'function',
        `${name} must be an object or a function that returns one`,
      )
    }
    // Registered transports are known by name too, over a built-in of the same name.
    const known: TransportRegistry = { ...registry }
    for (const transport of options.register ?? []) known[transport.name] = transport
    const preference = options.transports ?? DEFAULT_TRANSPORTS.filter((name) => registry[name])
    check(preference.length, 'transports must list at least one transport')
    const transports = preference.map((entry) => resolveTransport(entry, known))
    const policy: ReconnectPolicy = { ...DEFAULT_RECONNECT }
    for (const [name, value] of Object.entries(reconnect)) {
      if (value !== undefined) policy[name as keyof ReconnectPolicy] = value
    }
    policy.maxDelay = clampDelay(policy.maxDelay)
    const timers = options.timers ?? globalTimers
    // A base URL may carry a query of its own (`/live?token=abc`): channels go into the path.
    // The last base stands for none: a client of plain endpoints only.
    const bases = [...urls, ''].map(splitBase)
    const failover = createFailover(urls.length)
    const base = () => bases[failover.at] as { path: string; search: string }
    const sources = new Map<string, InternalSource<unknown>>()
    const warned = new Set<string>()
    let closed = false
    // The connections the sources of this client share (one WebSocket, one SSE stream for all).
    // Each client.reconnect() starts a new pool: no connect after it can ride a link opened
    // before it (on old cookies, say), even while another source lingers on that link.
    let links = new LinkPool()

    const environment = options.environment ?? browserEnvironment()
    const upgrade = options.upgrade
    check(
      upgrade === undefined || upgrade === false || typeof upgrade === 'object',
      'upgrade must be false or { minDelay, maxDelay }',
    )
    if (upgrade) {
      checkNumbers([
        ['upgrade.minDelay', upgrade.minDelay, 1, INF],
        ['upgrade.maxDelay', upgrade.maxDelay, 1, INF],
      ])
    }
    // One prober per client: after a fallback, channels move back up together, one probe at a time.
    // The tabs of this browser share one connection (docs/decisions/cross-tab.md): the channels
    // ride the leading tab's relay, which holds a client of its own with these options.
    let role: TabRole = 'solo'
    let inspector: Inspector | undefined
    if (__DEV__) inspector = createInspector()
    const setRole = (next: TabRole): void => {
      role = next
      __DEV__ && (inspector as Inspector).hook.emit?.({ type: 'tab', role })
      for (const source of sources.values()) source.setTab(next)
    }
    const shared =
      options.crossTab === true && urls[0]
        ? shareAcrossTabs(
            urls[0],
            // The relay's client persists nothing: each tab keeps its own sends (persistSends).
            () => {
              const relay = createLiveClient({ ...options, crossTab: false, persistSends: false })
              // The leading tab's inspector hears the shared connection's steps too: the relay's.
              if (__DEV__) {
                relay.inspect(
                  (event) =>
                    event.type !== 'tab' && inspector?.hook.emit?.({ ...event, shared: true }),
                )
              }
              return relay
            },
            setRole,
          )
        : null
    if (shared) role = 'follower'
    const channelTransports = shared ? [shared.transport] : transports
    const prober =
      shared || upgrade === false || transports.length < 2
        ? undefined
        : createUpgradeProber(timers, environment, {
            minDelay: clampDelay(upgrade?.minDelay),
            maxDelay: clampDelay(upgrade?.maxDelay),
          })

    const connection = {
      policy,
      // Infinity turns the heartbeat off; anything else is a timer.
      heartbeatTimeout:
        options.heartbeatTimeout === INF ? INF : clampDelay(options.heartbeatTimeout ?? 35_000),
      timers,
      environment,
      random: options.random ?? Math.random,
      headers: options.headers,
      query: options.query,
      credentials: options.credentials,
      // Looked up at call time, so that a polyfill or a test's stub installed later applies.
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      WebSocket: options.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket,
      maxMessageSize: options.maxMessageSize ?? 1 << 20,
      openTimeout: clampDelay(options.openTimeout ?? 10_000),
      sendTimeout: clampDelay(options.sendTimeout ?? 10_000),
      maxQueuedSends: options.maxQueuedSends ?? 100,
      baseUrl: () => base().path + base().search,
      // Per client: one link per transport for all its sources, and the transport that worked last.
      links: () => links,
      memory: { preferred: null },
      // Where its parts report to `inspect()`: left out, with them, of the production build.
      ...(__DEV__ && { inspect: (inspector as Inspector).hook }),
    } satisfies Partial<Parameters<typeof createSource>[0]['connection']>
    check(
      options.persistSends === undefined || typeof options.persistSends === 'boolean',
      'persistSends must be true or false',
    )
    // Sends kept in IndexedDB until acknowledged; a previous page's are flushed from here.
    const persisted = options.persistSends
      ? createPersistedSends({ ...connection, scope: connection.baseUrl() })
      : undefined

    return {
      get closed() {
        return closed
      },
      source: ((channel: string, sourceOptions: SourceOptions<unknown, unknown> = {}) => {
        const plain = sourceOptions.url
        const isChannel = plain === undefined
        check(typeof channel === 'string' && channel, 'source(channel) needs a non-empty string')
        check(
          isChannel ? urls[0] : typeof plain === 'string' && plain,
          `source "${channel}" has no URL: give createLiveClient a url, or the source a plain url`,
        )
        // One request carries every channel of the client: a name the server cannot take would
        // fail it for all of them, so it is refused here, alone, and said out loud.
        check(
          !isChannel || CHANNEL_NAME.test(channel),
          `Channel names are 1 to 256 characters of letters, digits and _ . : @ ~ -, got "${channel.slice(0, 100)}"; a plain endpoint takes a url`,
        )
        const { replay, gap } = sourceOptions
        check(
          replay === undefined || (Number.isInteger(replay) && replay >= 1),
          `replay must be an integer from 1, got ${replay}`,
        )
        check(
          gap === undefined || gap === 'reset' || gap === 'keep',
          `gap must be 'reset' or 'keep', got ${String(gap)}`,
        )
        const { load } = sourceOptions
        check(
          load === undefined || (typeof load === 'function' && isChannel),
          'load must be a function, on a channel (not a plain url)',
        )
        const existing = sources.get(channel)
        if (existing) {
          // Development help: left out of the production build, where it would be silent anyway.
          if (__DEV__) warnOnOtherOptions(channel, existing.options, sourceOptions, warned)
          return existing
        }
        const source = createSource({
          key: channel,
          // On the server in use: it changes when a round failed there (failover).
          url: () => plain ?? `${base().path}/${encodeURIComponent(channel)}${base().search}`,
          channel: isChannel,
          options: sourceOptions,
          connection: {
            ...connection,
            prober: isChannel ? prober : undefined,
            failover: isChannel && !shared && urls[1] ? failover : undefined,
            transports: isChannel
              ? channelTransports
              : [
                  resolveTransport(
                    sourceOptions.transport ?? (/^wss?:/i.test(plain) ? 'websocket' : 'sse'),
                    { ...known, ...Object.fromEntries(transports.map((t) => [t.name, t])) },
                  ),
                ],
          },
          disconnectDelay: clampDelay(options.disconnectDelay ?? 1000),
          timers,
          isClosed: () => closed,
          persisted,
          tab: isChannel ? role : 'solo',
        })
        sources.set(channel, source)
        return source
      }) as LiveClient['source'],
      inspect: __DEV__
        ? (listener) =>
            (inspector as Inspector).add(listener, () => [
              { type: 'tab', role },
              ...[...sources].flatMap(([channel, source]): InspectReport[] => {
                const { status, transport, attempt, error, lastEventId } = source.getSnapshot()
                return [
                  { type: 'state', channel, status, transport, attempt, error },
                  { type: 'cursor', channel, lastEventId },
                ]
              }),
            ])
        : // The production build has no report sites (docs/decisions/inspector.md).
          () => {
            throw new LiveDataError('ERR_UNSUPPORTED', 'inspect(): not in production builds')
          },
      reconnect() {
        shared?.reconnect()
        links = new LinkPool()
        for (const source of sources.values()) source.reconnect()
      },
      close() {
        closed = true
        persisted?.close()
        for (const source of sources.values()) source.close()
        // After the sources: their links say goodbye to the relay on the way out.
        shared?.close()
      },
    }
  }
}
