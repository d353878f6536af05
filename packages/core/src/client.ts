import { DEFAULT_RECONNECT, type ReconnectPolicy } from './backoff'
import { browserEnvironment, globalTimers } from './environment'
import { LiveDataError } from './errors'
import { createSource, type InternalSource } from './source'
import type {
  LiveClient,
  LiveClientOptions,
  LiveSource,
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
  check(
    found?.connect,
    `Unknown transport "${String(entry)}": pass a transport object from '@livedata/core'`,
  )
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
    const preference = options.transports ?? DEFAULT_TRANSPORTS.filter((name) => registry[name])
    check(preference.length, 'transports must list at least one transport')
    const transports = preference.map((entry) => resolveTransport(entry, registry))
    const policy: ReconnectPolicy = { ...DEFAULT_RECONNECT }
    for (const [name, value] of Object.entries(reconnect)) {
      if (value !== undefined) policy[name as keyof ReconnectPolicy] = value
    }
    policy.maxDelay = clampDelay(policy.maxDelay)
    const timers = options.timers ?? globalTimers
    const base = url?.replace(/\/+$/, '')
    const sources = new Map<string, InternalSource<unknown>>()
    let closed = false

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
      // Looked up at call time, so that a polyfill or a test's stub installed later applies.
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      WebSocket: options.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket,
      maxMessageSize: options.maxMessageSize ?? 1 << 20,
      openTimeout: clampDelay(options.openTimeout ?? 10_000),
      sendTimeout: clampDelay(options.sendTimeout ?? 10_000),
      maxQueuedSends: options.maxQueuedSends ?? 100,
      baseUrl: base ?? '',
      // Per client: one WebSocket for all its sources, and the transport that worked last.
      shared: new Map<string, unknown>(),
      memory: { preferred: null },
    } satisfies Partial<Parameters<typeof createSource>[0]['connection']>

    return {
      get closed() {
        return closed
      },
      source<T, M = T>(channel: string, sourceOptions: SourceOptions<T, M> = {}): LiveSource<T> {
        const plain = sourceOptions.url
        check(typeof channel === 'string' && channel, 'source(channel) needs a non-empty string')
        check(
          plain === undefined ? base : typeof plain === 'string' && plain,
          `source "${channel}" has no URL: give createLiveClient a url, or the source a plain url`,
        )
        let source = sources.get(channel) as InternalSource<T> | undefined
        if (!source) {
          source = createSource<T, M>({
            key: channel,
            url: plain ?? `${base}/${encodeURIComponent(channel)}`,
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
          sources.set(channel, source as InternalSource<unknown>)
        }
        return source
      },
      close() {
        closed = true
        for (const source of sources.values()) source.close()
      },
    }
  }
}
