import { DEFAULT_RECONNECT, type ReconnectPolicy } from './backoff'
import { browserEnvironment, globalTimers } from './environment'
import { LiveDataError } from './errors'
import { Source } from './source'
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

function invalid(message: string): LiveDataError {
  return new LiveDataError('ERR_INVALID_OPTIONS', message, { retryable: false })
}

function checkDelay(name: string, value: unknown, allowInfinity = false): void {
  if (value === undefined) return
  const ok =
    typeof value === 'number' &&
    value >= 0 &&
    (Number.isFinite(value) || (allowInfinity && value === Number.POSITIVE_INFINITY))
  if (!ok) throw invalid(`${name} must be a number of milliseconds >= 0, got ${String(value)}`)
}

function resolveTransport(
  entry: TransportName | TransportDefinition,
  registry: TransportRegistry,
): TransportDefinition {
  if (typeof entry === 'object' && entry !== null && typeof entry.connect === 'function') {
    return entry
  }
  const known = registry[entry as TransportName]
  if (known) return known
  const names = Object.keys(registry)
  throw invalid(
    `Unknown transport "${String(entry)}". ${names.length > 0 ? `This client knows ${names.join(', ')}` : 'This client knows none by name'}; pass a transport object (e.g. \`sse\` from '@livedata/core') instead.`,
  )
}

/**
 * Builds `createLiveClient` over a set of transports known by name. `@livedata/core` uses it with
 * every built-in transport, `@livedata/core/base` with none (pass transport objects, ship less).
 */
export function createClientFactory(registry: TransportRegistry) {
  return function createLiveClient(options: LiveClientOptions = {}): LiveClient {
    if (typeof options !== 'object' || options === null) {
      throw invalid('createLiveClient(options) expects an object')
    }
    if (options.url !== undefined && (typeof options.url !== 'string' || options.url === '')) {
      throw invalid(`url must be a non-empty string, got ${String(options.url)}`)
    }
    const reconnect = options.reconnect ?? {}
    checkDelay('reconnect.minDelay', reconnect.minDelay)
    checkDelay('reconnect.maxDelay', reconnect.maxDelay)
    checkDelay('reconnect.maxAttempts', reconnect.maxAttempts, true)
    checkDelay('heartbeatTimeout', options.heartbeatTimeout, true)
    checkDelay('disconnectDelay', options.disconnectDelay)
    if (reconnect.factor !== undefined && !(reconnect.factor >= 1)) {
      throw invalid(`reconnect.factor must be >= 1, got ${String(reconnect.factor)}`)
    }
    if (reconnect.jitter !== undefined && !(reconnect.jitter >= 0 && reconnect.jitter <= 1)) {
      throw invalid(`reconnect.jitter must be between 0 and 1, got ${String(reconnect.jitter)}`)
    }
    const fetchImpl: typeof fetch =
      options.fetch ?? ((input, init) => globalThis.fetch(input, init))
    if (typeof fetchImpl !== 'function') throw invalid('fetch must be a function')

    const preference = options.transports ?? DEFAULT_TRANSPORTS.filter((name) => registry[name])
    if (!Array.isArray(preference) || preference.length === 0) {
      throw invalid('transports must list at least one transport')
    }
    const transports = preference.map((entry) => resolveTransport(entry, registry))
    const policy: ReconnectPolicy = { ...DEFAULT_RECONNECT }
    for (const [name, value] of Object.entries(reconnect)) {
      if (value !== undefined) (policy as unknown as Record<string, number>)[name] = value
    }
    const timers = options.timers ?? globalTimers
    const environment = options.environment ?? browserEnvironment()
    const base = options.url?.replace(/\/+$/, '')
    const sources = new Map<string, Source<unknown, unknown>>()
    let closed = false

    const connection = {
      policy,
      heartbeatTimeout: options.heartbeatTimeout ?? 35_000,
      timers,
      environment,
      random: options.random ?? Math.random,
      headers: options.headers,
      fetch: fetchImpl,
      WebSocket: options.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket,
      maxMessageSize: options.maxMessageSize ?? 1024 * 1024,
    }

    return {
      get closed() {
        return closed
      },
      source<T, M = T>(channel: string, sourceOptions: SourceOptions<T, M> = {}): LiveSource<T> {
        if (typeof channel !== 'string' || channel === '') {
          throw invalid(`source(channel) expects a non-empty string, got ${String(channel)}`)
        }
        const plainUrl = sourceOptions.url
        if (plainUrl !== undefined && (typeof plainUrl !== 'string' || plainUrl === '')) {
          throw invalid(`source "${channel}": url must be a non-empty string`)
        }
        if (plainUrl === undefined && base === undefined) {
          throw invalid(
            `source "${channel}" has no URL: give createLiveClient a url, or the source a plain url`,
          )
        }
        const existing = sources.get(channel)
        if (existing) return existing as unknown as LiveSource<T>
        const candidates =
          plainUrl === undefined
            ? transports
            : [
                resolveTransport(sourceOptions.transport ?? 'sse', {
                  ...registry,
                  ...byName(transports),
                }),
              ]
        const source = new Source<T, M>({
          key: channel,
          url: plainUrl ?? `${base}/${encodeURIComponent(channel)}`,
          channel: plainUrl === undefined,
          options: sourceOptions,
          connection: { ...connection, transports: candidates },
          disconnectDelay: options.disconnectDelay ?? 1000,
          timers,
          isClosed: () => closed,
        })
        sources.set(channel, source as unknown as Source<unknown, unknown>)
        return source
      },
      close() {
        if (closed) return
        closed = true
        for (const source of sources.values()) source.close()
      },
    }
  }
}

function byName(transports: readonly TransportDefinition[]): TransportRegistry {
  const registry: TransportRegistry = {}
  for (const transport of transports) registry[transport.name] = transport
  return registry
}
