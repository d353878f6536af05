import { DEFAULT_RECONNECT, type ReconnectPolicy } from './backoff'
import { splitBase } from './credentials'
import { browserEnvironment, globalTimers } from './environment'
import { LiveDataError } from './errors'
import { warnOnOtherOptions } from './options-warning'
import { createSource, type InternalSource } from './source'
import type {
  LiveClient,
  LiveClientOptions,
  SourceOptions,
  TransportDefinition,
  TransportName,
} from './types'

/** Transports known by name to a client factory. */
export type TransportRegistry = Partial<Record<TransportName, TransportDefinition>>

/** The default preference order; `iframe` is opt-in. */
export const DEFAULT_TRANSPORTS: readonly TransportName[] = [
  'websocket',
  'sse',
  'long-polling',
  'polling',
]

// Timers take at most 2^31 - 1 ms; past that they would fire at once.
const clampDelay = (ms: number): number => Math.min(ms, 2 ** 31 - 1)

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
    check(url === undefined || (typeof url === 'string' && url), 'url must be a non-empty string')
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
    const preference = options.transports ?? DEFAULT_TRANSPORTS.filter((name) => registry[name])
    check(preference.length, 'transports must list at least one transport')
    const transports = preference.map((entry) => resolveTransport(entry, registry))
    const policy: ReconnectPolicy = { ...DEFAULT_RECONNECT }
    for (const [name, value] of Object.entries(reconnect)) {
      if (value !== undefined) policy[name as keyof ReconnectPolicy] = value
    }
    policy.maxDelay = clampDelay(policy.maxDelay)
    const timers = options.timers ?? globalTimers
    // A base URL may carry a query of its own (`/live?token=abc`): channels go into the path.
    const { path: base, search } = splitBase(url ?? '')
    const sources = new Map<string, InternalSource<unknown>>()
    const warned = new Set<string>()
    let closed = false
    // What transports share between the sources of this client (one WebSocket for all). Each
    // client.reconnect() starts a new generation of it: no connect after it can ride a socket
    // opened before it (on old cookies, say), even while another source lingers on that socket.
    let shared = new Map<string, unknown>()

    const connection = {
      policy,
      // Infinity turns the heartbeat off; anything else is a timer.
      heartbeatTimeout:
        options.heartbeatTimeout === Number.POSITIVE_INFINITY
          ? Number.POSITIVE_INFINITY
          : clampDelay(options.heartbeatTimeout ?? 35_000),
      timers,
      environment: options.environment ?? browserEnvironment(),
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
      baseUrl: base + search,
      // Per client: one WebSocket for all its sources, and the transport that worked last.
      shared: () => shared,
      memory: { preferred: null },
    } satisfies Partial<Parameters<typeof createSource>[0]['connection']>

    return {
      get closed() {
        return closed
      },
      source: ((channel: string, sourceOptions: SourceOptions<unknown, unknown> = {}) => {
        const plain = sourceOptions.url
        check(typeof channel === 'string' && channel, 'source(channel) needs a non-empty string')
        check(
          plain === undefined ? base : typeof plain === 'string' && plain,
          `source "${channel}" has no URL: give createLiveClient a url, or the source a plain url`,
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
        const existing = sources.get(channel)
        if (existing) {
          warnOnOtherOptions(channel, existing.options, sourceOptions, warned)
          return existing
        }
        const source = createSource({
          key: channel,
          url: plain ?? `${base}/${encodeURIComponent(channel)}${search}`,
          channel: plain === undefined,
          options: sourceOptions,
          connection: {
            ...connection,
            transports:
              plain === undefined
                ? transports
                : [
                    resolveTransport(
                      sourceOptions.transport ?? (/^wss?:/i.test(plain) ? 'websocket' : 'sse'),
                      {
                        ...registry,
                        ...Object.fromEntries(
                          [...transports, ...(options.register ?? [])].map((t) => [t.name, t]),
                        ),
                      },
                    ),
                  ],
          },
          disconnectDelay: clampDelay(options.disconnectDelay ?? 1000),
          timers,
          isClosed: () => closed,
        })
        sources.set(channel, source)
        return source
      }) as LiveClient['source'],
      reconnect() {
        shared = new Map()
        for (const source of sources.values()) source.reconnect()
      },
      close() {
        closed = true
        for (const source of sources.values()) source.close()
      },
    }
  }
}
