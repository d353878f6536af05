import { backoffDelay, type ReconnectPolicy } from './backoff'
import { moreRelevant } from './error-relevance'
import { LiveDataError, toLiveDataError } from './errors'
import { isFinalRefusal } from './server-error'
import type {
  LiveEnvironment,
  LiveStatus,
  LiveTimers,
  TransportConnection,
  TransportContext,
  TransportDefinition,
  TransportHandlers,
  TransportName,
} from './types'

/** The connection's part of a snapshot. */
export interface ConnectionState {
  status: LiveStatus
  transport: TransportName | null
  attempt: number
  error: LiveDataError | null
}

/** What the connection tells its source. */
export interface ConnectionListener
  extends Pick<TransportHandlers, 'onMessage' | 'onGap' | 'onError' | 'onCursor'> {
  /** Status, transport, attempt or error changed. */
  onState(state: ConnectionState): void
}

/** Everything a connection needs, resolved by the client. */
export interface ConnectionConfig {
  /** Candidate transports in order of preference. */
  transports: readonly TransportDefinition[]
  /** Builds the context of one connect (resolves headers, reads the last id). */
  context(transport: TransportDefinition): Promise<TransportContext>
  policy: ReconnectPolicy
  heartbeatTimeout: number
  /** How long a transport may take to open before the next one is tried, in ms. */
  openTimeout: number
  timers: LiveTimers
  environment: LiveEnvironment
  random: () => number
  /** Shared by the client's connections: the transport that last worked, tried first. */
  memory: { preferred: TransportName | null }
}

/** A connection that keeps itself alive between `start()` and `stop()`. */
export interface Connection {
  /** Starts connecting; a no-op while running. */
  start(): void
  /** Disconnects and stays `closed` (with `error`, if given) until started again. */
  stop(error?: LiveDataError): void
  /**
   * Connects again now, from the preferred transport with the attempt count reset (fresh headers
   * and query); starts a connection that a final error stopped.
   */
  restart(): void
  /** The open transport's own way to send, if it has one (a WebSocket does). */
  sender(): TransportConnection['send']
}

/**
 * Keeps one logical connection alive: opens a transport, watches it with a heartbeat timer,
 * and when it ends waits (exponential backoff, full jitter, the server's `retry` hint) and opens
 * it again, at once when the browser comes back online or the page becomes visible. A transport
 * that fails before it ever opened gives way to the next one in preference order.
 */
export function createConnection(
  config: ConnectionConfig,
  listener: ConnectionListener,
): Connection {
  const { timers, environment, policy, heartbeatTimeout } = config
  let running = false
  // Bumped on every teardown: callbacks of an older attempt see a stale number and do nothing.
  let generation = 0
  let handle: TransportConnection | null = null
  let retryTimer: unknown = null
  let openTimer: unknown = null
  let heartbeatTimer: unknown = null
  let sawActivity = false
  let stopEnvironment: (() => void) | null = null
  let wasOnline = true
  let wasVisible = true
  let retryHint: number | null = null
  let transportIndex = 0
  // Transports tried since the last one that opened, or since the round began; the round's most
  // relevant error so far, and whether any of its failures was worth a retry.
  let tried = 0
  let roundError: LiveDataError | null = null
  let roundRetryable = false
  let state: ConnectionState = { status: 'connecting', transport: null, attempt: 0, error: null }

  const setState = (patch: Partial<ConnectionState>): void => {
    const next = { ...state, ...patch }
    if (
      next.status !== state.status ||
      next.transport !== state.transport ||
      next.attempt !== state.attempt ||
      next.error !== state.error
    ) {
      state = next
      listener.onState(next)
    }
  }

  const teardown = (reason?: LiveDataError): void => {
    generation++
    timers.clearTimeout(retryTimer)
    timers.clearTimeout(heartbeatTimer)
    timers.clearTimeout(openTimer)
    retryTimer = heartbeatTimer = openTimer = null
    handle?.close(reason)
    handle = null
  }

  const stop = (error?: LiveDataError): void => {
    if (!running) return
    running = false
    teardown()
    stopEnvironment?.()
    stopEnvironment = null
    setState({ status: 'closed', attempt: 0, error: error ?? null })
  }

  const closed = (opened: boolean, error?: LiveDataError): void => {
    teardown(error)
    let reason = error ?? new LiveDataError('ERR_CONNECTION_LOST', 'The server ended the stream')
    // The origin, the host or authorize said no: no other transport, no retry can change that.
    if (isFinalRefusal(reason)) return stop(reason)
    if (!opened) {
      roundRetryable ||= reason.retryable
      reason = roundError = moreRelevant(roundError, reason)
      // A transport that never opened may be blocked here: the next one gets its turn at once.
      const count = config.transports.length
      if (++tried < count) {
        transportIndex = (transportIndex + 1) % count
        setState({ error: reason })
        connect()
        return
      }
      // Every transport failed, none in a way a retry could fix (a 404, a wrong content type).
      if (!roundRetryable) return stop(reason)
    } else if (!reason.retryable) {
      return stop(reason)
    }
    const attempt = state.attempt + 1
    if (attempt > policy.maxAttempts) {
      return stop(
        new LiveDataError('ERR_RECONNECT_EXHAUSTED', `Gave up after ${attempt - 1} attempts`, {
          cause: reason,
          retryable: false,
        }),
      )
    }
    newRound()
    if (!opened) transportIndex = firstTransport()
    const online = environment.isOnline()
    setState({ status: online ? 'reconnecting' : 'offline', attempt, error: reason })
    if (!online) return
    const delay = backoffDelay(
      attempt,
      { ...policy, minDelay: retryHint ?? policy.minDelay },
      config.random,
    )
    retryTimer = timers.setTimeout(connect, delay)
  }

  // Silence is detected on the second quiet half-period: between 1 and 1.5 heartbeatTimeout.
  // A flag per chunk is far cheaper than re-arming a timer per chunk.
  const armHeartbeat = (current: number): void => {
    let quietTicks = 0
    sawActivity = false
    const tick = (): void => {
      if (current !== generation) return
      quietTicks = sawActivity ? 0 : quietTicks + 1
      sawActivity = false
      if (quietTicks < 2) {
        heartbeatTimer = timers.setTimeout(tick, heartbeatTimeout / 2)
        return
      }
      closed(
        true,
        new LiveDataError('ERR_HEARTBEAT_TIMEOUT', `Nothing arrived for ${heartbeatTimeout} ms`),
      )
    }
    if (heartbeatTimeout < Number.POSITIVE_INFINITY) {
      heartbeatTimer = timers.setTimeout(tick, heartbeatTimeout / 2)
    }
  }

  const newRound = (): void => {
    tried = 0
    roundError = null
    roundRetryable = false
  }

  // The transport that worked last, for this client, is where every (re)connect starts.
  const firstTransport = (): number =>
    Math.max(
      0,
      config.transports.findIndex((transport) => transport.name === config.memory.preferred),
    )

  function connect(): void {
    retryTimer = null
    const transport = config.transports[transportIndex] as TransportDefinition
    const current = ++generation
    const live = (): boolean => current === generation
    let opened = false
    setState({ transport: transport.name })
    // A transport that neither opens nor fails (a proxy holding the request) is given up.
    openTimer = timers.setTimeout(() => {
      if (live()) {
        closed(
          false,
          new LiveDataError('ERR_OPEN_TIMEOUT', `${transport.name} did not open in time`),
        )
      }
    }, config.openTimeout)
    const handlers: TransportHandlers = {
      onOpen() {
        if (!live() || opened) return
        opened = true
        newRound()
        timers.clearTimeout(openTimer)
        if (config.transports.length > 1) config.memory.preferred = transport.name
        setState({ status: 'open', attempt: 0, error: null })
        if (transport.heartbeat !== false) armHeartbeat(current)
      },
      onActivity() {
        sawActivity = true
      },
      onMessage(message) {
        if (live()) listener.onMessage(message)
      },
      onRetry(ms) {
        retryHint = ms
      },
      onGap(replay) {
        if (live()) listener.onGap(replay)
      },
      onCursor(id) {
        if (live()) listener.onCursor(id)
      },
      onError(error) {
        if (live()) listener.onError(error)
      },
      onClose(error) {
        if (live()) closed(opened, error)
      },
    }
    config.context(transport).then(
      (context) => {
        if (!live()) return
        try {
          handle = transport.connect(context, handlers)
        } catch (cause) {
          // A transport that throws cannot serve here (no WebSocket, no DOM): the next one is tried.
          closed(
            false,
            cause instanceof LiveDataError
              ? cause
              : new LiveDataError('ERR_UNSUPPORTED', `${transport.name} failed to start`, {
                  cause,
                  retryable: false,
                }),
          )
        }
      },
      (cause: unknown) => {
        if (live()) {
          closed(
            false,
            toLiveDataError(cause, 'ERR_INVALID_OPTIONS', 'headers() or query() failed'),
          )
        }
      },
    )
  }

  const onEnvironmentChange = (): void => {
    const online = environment.isOnline()
    const visible = environment.isVisible()
    const cameBack = (online && !wasOnline) || (visible && !wasVisible)
    wasOnline = online
    wasVisible = visible
    // Only a connection waiting for its next attempt is hurried; an open one is left alone.
    if (
      !running ||
      handle !== null ||
      (state.status !== 'reconnecting' && state.status !== 'offline')
    ) {
      return
    }
    if (!online) {
      teardown()
      setState({ status: 'offline' })
    } else if (cameBack) {
      teardown()
      setState({ status: state.attempt > 0 ? 'reconnecting' : 'connecting' })
      connect()
    }
  }

  const start = (): void => {
    if (running) return
    running = true
    newRound()
    transportIndex = firstTransport()
    wasOnline = environment.isOnline()
    wasVisible = environment.isVisible()
    stopEnvironment = environment.subscribe(onEnvironmentChange)
    setState({ status: wasOnline ? 'connecting' : 'offline', attempt: 0, error: null })
    if (wasOnline) connect()
  }

  return {
    start,
    stop,
    restart() {
      if (running) {
        teardown()
        stopEnvironment?.()
        running = false
      }
      start()
    },
    sender() {
      return state.status === 'open' ? handle?.send : undefined
    },
  }
}
