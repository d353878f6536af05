import type { LiveServerOptions } from '@livedata/server'

/**
 * What the suite needs of a client: the public API of @livedata/core's `createLiveClient`,
 * described by shape, so that a transport built against any copy of the core (the core's own
 * sources, say) is tested with that copy.
 */
export interface ConformanceClient {
  source(channel: string, options: ConformanceSourceOptions): ConformanceSource
  close(): void
}

/** A message as the suite's sources keep it: the payload's `n`, its id and its event. */
export interface Received {
  readonly n: number
  readonly id: string | null
  readonly event: string
}

/** The options the suite gives `client.source`. */
export interface ConformanceSourceOptions {
  initialData: Received[]
  /** Only messages with this event name. */
  event?: string
  reduce(
    previous: Received[],
    data: unknown,
    message: { readonly id: string | null; readonly event: string },
  ): Received[]
}

/** What the suite reads of a snapshot. */
export interface ConformanceSnapshot {
  readonly status: string
  readonly data: Received[]
  readonly error: {
    readonly code: string
    readonly serverCode?: string | undefined
    readonly message: string
  } | null
  readonly transport: string | null
  readonly lastEventId: string | null
  readonly gap: boolean
}

/** What the suite uses of a source. */
export interface ConformanceSource {
  subscribe(listener: () => void): () => void
  getSnapshot(): ConformanceSnapshot
  send(data: unknown, options?: { event?: string }): Promise<unknown>
}

/** The options the suite gives `createLiveClient`, on top of {@link ConformanceOptions.client}. */
export interface ConformanceClientOptions<D> {
  url: string
  transports: D[]
  reconnect: { minDelay: number; maxDelay: number }
  disconnectDelay: number
  query: Record<string, string>
  /** In Node, the `WebSocket` of `ws`. */
  WebSocket?: unknown
  fetch?: typeof fetch
  headers?: Record<string, string>
}

/** Options of `describeTransportConformance`. */
export interface ConformanceOptions<D> {
  /**
   * Client options for every client the suite makes: `WebSocket` (in Node, the one of `ws`),
   * `fetch`, `headers`.
   * @example { client: { WebSocket } }
   */
  client?: Pick<ConformanceClientOptions<D>, 'WebSocket' | 'fetch' | 'headers'>
  /**
   * The `createLiveClient` to test with. Default: the one of `@livedata/core`. Pass your own copy's
   * when the transport was built against another copy of the core.
   * @example { createLiveClient } // from '../src/index', in the core's own tests
   */
  createLiveClient?: (options: ConformanceClientOptions<D>) => ConformanceClient
  /** Server options on top of the suite's (a `path`, say). */
  server?: Pick<LiveServerOptions, 'path' | 'heartbeat' | 'longPollTimeout'>
  /** A test's time limit, in ms. Default 30,000. */
  timeout?: number
}
