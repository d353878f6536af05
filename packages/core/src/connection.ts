import { backoffDelay, type ReconnectPolicy } from './backoff'
import { LiveDataError } from './errors'
import type {
  LiveEnvironment,
  LiveStatus,
  LiveTimers,
  TransportContext,
  TransportDefinition,
  TransportName,
} from './types'

/** What the connection tells its source. */
export interface ConnectionListener {
  /** Status, transport, attempt or error changed. */
  onState(state: ConnectionState): void
  onMessage(message: { data: string; event: string; id: string | null }): void
  onGap(): void
  /** A problem that did not end the connection. */
  onError(error: LiveDataError): void
}

/** The connection's part of a snapshot. */
export interface ConnectionState {
  status: LiveStatus
  transport: TransportName | null
  attempt: number
  error: LiveDataError | null
}

/** Everything a connection needs, resolved by the client. */
export interface ConnectionConfig {
  /** Candidate transports in order of preference. */
  transports: readonly TransportDefinition[]
  /** Builds the context of one connect (resolves headers, reads the last id). */
  context(transport: TransportDefinition): Promise<TransportContext>
  policy: ReconnectPolicy
  heartbeatTimeout: number
  timers: LiveTimers
  environment: LiveEnvironment
  random: () => number
}

/**
 * Keeps one logical connection alive: opens a transport, watches it with a heartbeat timer,
 * and when it ends waits (exponential backoff, full jitter, the server's `retry` hint) and opens
 * it again, at once when the browser comes back online or the page becomes visible. A transport
 * that fails before it ever opened gives way to the next one in preference order.
 */
export class Connection {
  #running = false
  #generation = 0
  #handle: { close(): void } | null = null
  #retryTimer: unknown = null
  #heartbeatTimer: unknown = null
  #heartbeatSilentTicks = 0
  #sawActivity = false
  #stopEnvironment: (() => void) | null = null
  #wasOnline = true
  #wasVisible = true
  #retryHint: number | null = null
  #transportIndex = 0
  #state: ConnectionState = {
    status: 'connecting',
    transport: null,
    attempt: 0,
    error: null,
  }

  readonly #config: ConnectionConfig
  readonly #listener: ConnectionListener

  constructor(config: ConnectionConfig, listener: ConnectionListener) {
    this.#config = config
    this.#listener = listener
  }

  /** Starts connecting; a no-op while running. */
  start(): void {
    if (this.#running) return
    this.#running = true
    this.#transportIndex = 0
    const env = this.#config.environment
    this.#wasOnline = env.isOnline()
    this.#wasVisible = env.isVisible()
    this.#stopEnvironment = env.subscribe(() => this.#onEnvironmentChange())
    this.#setState({ status: 'connecting', attempt: 0, error: null })
    if (!this.#wasOnline) this.#setState({ status: 'offline' })
    else this.#connect()
  }

  /** Disconnects and stays `closed` (with `error`, if given) until started again. */
  stop(error?: LiveDataError): void {
    if (!this.#running) return
    this.#running = false
    this.#teardown()
    this.#stopEnvironment?.()
    this.#stopEnvironment = null
    this.#setState({ status: 'closed', attempt: 0, error: error ?? null })
  }

  #setState(patch: Partial<ConnectionState>): void {
    const next = { ...this.#state, ...patch }
    const s = this.#state
    if (
      next.status === s.status &&
      next.transport === s.transport &&
      next.attempt === s.attempt &&
      next.error === s.error
    ) {
      return
    }
    this.#state = next
    this.#listener.onState(next)
  }

  #teardown(): void {
    this.#generation++
    const { timers } = this.#config
    if (this.#retryTimer !== null) timers.clearTimeout(this.#retryTimer)
    if (this.#heartbeatTimer !== null) timers.clearTimeout(this.#heartbeatTimer)
    this.#retryTimer = null
    this.#heartbeatTimer = null
    this.#handle?.close()
    this.#handle = null
  }

  #connect(): void {
    const transport = this.#config.transports[this.#transportIndex]
    if (!transport) {
      this.stop(new LiveDataError('ERR_NO_TRANSPORT', 'No transport is configured for this source'))
      return
    }
    const generation = ++this.#generation
    let opened = false
    this.#setState({ transport: transport.name })
    this.#config.context(transport).then(
      (context) => {
        if (generation !== this.#generation) return
        this.#handle = transport.connect(context, {
          onOpen: () => {
            if (generation !== this.#generation) return
            opened = true
            this.#setState({ status: 'open', attempt: 0, error: null })
            this.#armHeartbeat(generation)
          },
          onActivity: () => {
            this.#sawActivity = true
          },
          onMessage: (message) => {
            if (generation === this.#generation) this.#listener.onMessage(message)
          },
          onRetry: (ms) => {
            this.#retryHint = ms
          },
          onGap: () => {
            if (generation === this.#generation) this.#listener.onGap()
          },
          onError: (error) => {
            if (generation === this.#generation) this.#listener.onError(error)
          },
          onClose: (error) => {
            if (generation === this.#generation) this.#onTransportClosed(opened, error)
          },
        })
      },
      (cause: unknown) => {
        if (generation !== this.#generation) return
        const detail = cause instanceof Error ? cause.message : String(cause)
        this.#onTransportClosed(
          false,
          new LiveDataError('ERR_INVALID_OPTIONS', `headers() failed: ${detail}`, { cause }),
        )
      },
    )
  }

  #onTransportClosed(opened: boolean, error?: LiveDataError): void {
    this.#teardown()
    const reason =
      error ?? new LiveDataError('ERR_CONNECTION_LOST', 'The server ended the connection')
    // A transport that never opened may be blocked here: the next one gets its turn at once.
    if (!opened && this.#transportIndex + 1 < this.#config.transports.length) {
      this.#transportIndex++
      this.#setState({ error: reason })
      this.#connect()
      return
    }
    if (!reason.retryable) {
      this.stop(reason)
      return
    }
    const attempt = this.#state.attempt + 1
    const { policy } = this.#config
    if (attempt > policy.maxAttempts) {
      this.stop(
        new LiveDataError(
          'ERR_RECONNECT_EXHAUSTED',
          `Gave up after ${policy.maxAttempts} reconnect attempts: ${reason.message}`,
          { cause: reason, retryable: false },
        ),
      )
      return
    }
    if (!opened) this.#transportIndex = 0
    const online = this.#config.environment.isOnline()
    this.#setState({ status: online ? 'reconnecting' : 'offline', attempt, error: reason })
    if (online) this.#scheduleRetry(attempt)
  }

  #scheduleRetry(attempt: number): void {
    const { policy, timers, random } = this.#config
    const base = this.#retryHint ?? policy.minDelay
    const delay = backoffDelay(attempt, { ...policy, minDelay: base }, random)
    this.#retryTimer = timers.setTimeout(() => {
      this.#retryTimer = null
      this.#connect()
    }, delay)
  }

  // Silence is detected on the second quiet half-period: between 1 and 1.5 heartbeatTimeout.
  // One flag per chunk is far cheaper than re-arming a timer per chunk.
  #armHeartbeat(generation: number): void {
    const { timers, heartbeatTimeout } = this.#config
    if (!Number.isFinite(heartbeatTimeout)) return
    this.#sawActivity = false
    this.#heartbeatSilentTicks = 0
    const tick = (): void => {
      if (generation !== this.#generation) return
      if (this.#sawActivity) {
        this.#sawActivity = false
        this.#heartbeatSilentTicks = 0
      } else if (++this.#heartbeatSilentTicks >= 2) {
        this.#heartbeatTimer = null
        this.#onTransportClosed(
          true,
          new LiveDataError(
            'ERR_HEARTBEAT_TIMEOUT',
            `Nothing arrived for ${heartbeatTimeout} ms; the connection is presumed dead`,
          ),
        )
        return
      }
      this.#heartbeatTimer = timers.setTimeout(tick, heartbeatTimeout / 2)
    }
    this.#heartbeatTimer = timers.setTimeout(tick, heartbeatTimeout / 2)
  }

  #onEnvironmentChange(): void {
    if (!this.#running) return
    const env = this.#config.environment
    const online = env.isOnline()
    const visible = env.isVisible()
    const cameBack = (online && !this.#wasOnline) || (visible && !this.#wasVisible)
    this.#wasOnline = online
    this.#wasVisible = visible
    const waiting = this.#state.status === 'reconnecting' || this.#state.status === 'offline'
    if (!online && waiting) {
      this.#teardown()
      this.#setState({ status: 'offline' })
      return
    }
    // Only a connection that is waiting to retry is hurried; a healthy one is left alone.
    if (online && cameBack && waiting && this.#handle === null) {
      this.#teardown()
      this.#setState({ status: this.#state.attempt > 0 ? 'reconnecting' : 'connecting' })
      this.#connect()
    }
  }
}
