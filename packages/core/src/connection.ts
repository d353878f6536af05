import { backoffDelay, type ReconnectPolicy } from './backoff'
import {
  type Effect,
  initialState,
  type MachineEvent,
  MIN_UPTIME,
  reported,
  transition,
} from './connection-machine'
import { startProbe } from './connection-probe'
import { LiveDataError, toLiveDataError } from './errors'
import type { Failover } from './failover'
import type { InspectHook } from './inspector'
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
import type { Upgradable, UpgradeProber } from './upgrade-prober'

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
  /** Moves the connection back up after a fallback; none for a single transport. */
  prober?: UpgradeProber
  /** The client's server URLs, when it has several (see `failover.ts`). */
  failover?: Failover
  /** Where the connection reports its steps to `client.inspect()`, under the name `key`. */
  inspect?: InspectHook
  key?: string
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

/** Tells an inspector how a probe of transport `index` went. */
const reportProbe = (
  config: ConnectionConfig,
  index: number,
  result: 'started' | 'upgraded' | 'failed' | 'abandoned',
): void =>
  config.inspect?.emit?.({
    type: 'probe',
    channel: config.key!,
    transport: config.transports[index]!.name,
    result,
  })

/**
 * Keeps one logical connection alive: opens a transport, watches it with a heartbeat timer,
 * and when it ends waits (exponential backoff, full jitter, the server's `retry` hint) and opens
 * it again, at once when the browser comes back online or the page becomes visible. A transport
 * that fails before it ever opened gives way to the next one in preference order. The decisions
 * are `connection-machine.ts`'s; this runs their effects with the injected timers and environment.
 */
export function createConnection(
  config: ConnectionConfig,
  listener: ConnectionListener,
): Connection {
  const { timers, environment, policy, heartbeatTimeout, transports, failover } = config
  let machine = initialState({
    transports: transports.length,
    maxAttempts: policy.maxAttempts,
    failover: !!failover,
  })
  // The server URL the latest connect went to: the one a failed round leaves.
  let server: number | undefined
  // Bumped on every teardown and connect: callbacks of an older attempt see a stale number.
  let generation = 0
  let handle: TransportConnection | null = null
  let timer: unknown = null
  let openTimer: unknown = null
  let heartbeatTimer: unknown = null
  let uptimeTimer: unknown = null
  let sawActivity = false
  let stopEnvironment: (() => void) | null = null
  let wasOnline = true
  let wasVisible = true
  let state: ConnectionState = { status: 'connecting', transport: null, attempt: 0, error: null }
  // The transport that really carries the connection, when it is another's (a leading tab's).
  let via: TransportName | null = null
  // For the inspector (development build): the transport connected last, and the error of the
  // last transport that ended.
  let connected = -1
  let failure: LiveDataError | undefined
  // A probe of a better transport running beside the open one (see `upgrade`).
  let probe: { abandon(): void } | null = null

  // The transport that worked last, for this client, is where every (re)connect starts.
  const facts = () => ({
    online: environment.isOnline(),
    first: Math.max(
      0,
      transports.findIndex((transport) => transport.name === config.memory.preferred),
    ),
  })

  const dispatch = (event: MachineEvent): void => {
    // What ended the transport, for the inspector's `fallback`.
    if (__DEV__ && 'error' in event) failure = event.error
    const step = transition(machine, event)
    machine = step.state
    for (const effect of step.effects) run(effect)
    report()
  }

  /** Tells the listener the snapshot's part of the state, if it changed. */
  function report(): void {
    const next: ConnectionState = {
      ...reported(machine),
      transport:
        via ?? (machine.transport === null ? null : (transports[machine.transport]?.name ?? null)),
    }
    const moved = next.status !== state.status || next.transport !== state.transport
    if (moved || next.attempt !== state.attempt || next.error !== state.error) {
      state = next
      if (moved) config.prober?.track(self, machine.phase.name === 'open')
      __DEV__ && config.inspect?.emit?.({ type: 'state', channel: config.key!, ...next })
      listener.onState(next)
    }
  }

  function run(effect: Effect): void {
    switch (effect.type) {
      case 'teardown':
        via = null
        probe?.abandon()
        generation++
        for (const pending of [timer, heartbeatTimer, openTimer, uptimeTimer]) {
          timers.clearTimeout(pending)
        }
        timer = heartbeatTimer = openTimer = uptimeTimer = null
        handle?.close(effect.reason)
        handle = null
        return
      case 'connect':
        server = failover?.at
        return connect(effect.index)
      case 'move':
        return failover?.leave(server as number)
      case 'alive': {
        const current = generation
        timers.clearTimeout(openTimer)
        uptimeTimer = timers.setTimeout(() => {
          if (current === generation) dispatch({ type: 'stable' })
        }, MIN_UPTIME)
        if (transports[machine.transport ?? 0]?.heartbeat !== false) armHeartbeat(current)
        return
      }
      case 'remember':
        config.memory.preferred = (transports[effect.index] as TransportDefinition).name
        return
      case 'wait': {
        const base = { ...policy, minDelay: effect.base ?? policy.minDelay }
        const delay = backoffDelay(effect.attempt, base, config.random)
        __DEV__ &&
          config.inspect?.emit?.({
            type: 'backoff',
            channel: config.key!,
            attempt: effect.attempt,
            delay,
          })
        timer = timers.setTimeout(() => {
          timer = null
          dispatch({ type: 'elapsed' })
        }, delay)
        return
      }
      case 'watch':
        wasOnline = environment.isOnline()
        wasVisible = environment.isVisible()
        stopEnvironment = environment.subscribe(onEnvironmentChange)
        return
      case 'unwatch':
        stopEnvironment?.()
        stopEnvironment = null
    }
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
      const error = new LiveDataError(
        'ERR_HEARTBEAT_TIMEOUT',
        `Nothing arrived for ${heartbeatTimeout} ms`,
      )
      dispatch({ type: 'silence', error, ...facts() })
    }
    if (heartbeatTimeout < Number.POSITIVE_INFINITY) {
      heartbeatTimer = timers.setTimeout(tick, heartbeatTimeout / 2)
    }
  }

  /**
   * The handlers of a connection running in generation `current`: a callback of an older one
   * (torn down, or replaced by an upgrade) does nothing.
   */
  function handlersFor(current: number): TransportHandlers {
    const live = (): boolean => current === generation
    let proven = false
    return {
      onOpen() {
        if (live()) dispatch({ type: 'opened' })
      },
      onActivity() {
        sawActivity = true
      },
      onMessage(message) {
        if (!live()) return
        // A connection that delivers has proved itself, however short it lives (a plain SSE
        // endpoint that sends one event and ends, an iframe document ended after 1 MiB).
        if (!proven && machine.phase.name === 'open') {
          proven = true
          dispatch({ type: 'stable' })
        }
        listener.onMessage(message)
      },
      onRetry(ms) {
        if (live()) dispatch({ type: 'retry', ms })
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
        if (live()) dispatch({ type: 'closed', error, ...facts() })
      },
      onVia(transport) {
        if (!live() || transport === via) return
        via = transport
        // Nothing changes in the machine: the snapshot shows the other transport.
        report()
      },
    }
  }

  function connect(index: number): void {
    const transport = transports[index] as TransportDefinition
    if (__DEV__) {
      // Not the first of its round, and another transport than the last: the one before it
      // failed without opening (the same one again is a retry, when the page came back, say).
      if (machine.phase.name === 'connecting' && machine.phase.round.tried && index !== connected) {
        config.inspect?.emit?.({
          type: 'fallback',
          channel: config.key!,
          from: (transports[connected] as TransportDefinition).name,
          to: transport.name,
          error: failure ?? machine.error,
        })
      }
      connected = index
      config.inspect?.emit?.({ type: 'try', channel: config.key!, transport: transport.name })
    }
    const current = ++generation
    const live = (): boolean => current === generation
    const closed = (error?: LiveDataError): void => dispatch({ type: 'closed', error, ...facts() })
    // A transport that neither opens nor fails (a proxy holding the request) is given up.
    openTimer = timers.setTimeout(() => {
      if (!live()) return
      const error = new LiveDataError('ERR_OPEN_TIMEOUT', `${transport.name} did not open in time`)
      dispatch({ type: 'timeout', error, ...facts() })
    }, config.openTimeout)
    const handlers = handlersFor(current)
    config.context(transport).then(
      (context) => {
        if (!live()) return
        try {
          handle = transport.connect(context, handlers)
          if (live()) dispatch({ type: 'started' })
        } catch (cause) {
          // A transport that throws cannot serve here (no WebSocket, no DOM): the next one is tried.
          closed(
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
        if (live())
          closed(toLiveDataError(cause, 'ERR_INVALID_OPTIONS', 'headers() or query() failed'))
      },
    )
  }

  function onEnvironmentChange(): void {
    const online = environment.isOnline()
    const visible = environment.isVisible()
    const cameOnline = online && !wasOnline
    const cameVisible = visible && !wasVisible
    wasOnline = online
    wasVisible = visible
    if (!online) dispatch({ type: 'offline' })
    else if (cameOnline) dispatch({ type: 'online' })
    else if (cameVisible) dispatch({ type: 'visible' })
  }

  /**
   * Probes transport `index` beside the open one (see `connection-probe.ts`); when it opens it
   * becomes the connection and the machine hears `upgraded`.
   */
  function upgrade(index: number, done: (ok: boolean | null) => void): void {
    const { phase } = machine
    if (probe || phase.name !== 'open' || index >= phase.index) return done(false)
    if (__DEV__) reportProbe(config, index, 'started')
    probe = startProbe(
      {
        openTimeout: config.openTimeout,
        timers,
        context: config.context,
        listener,
        promote(candidate) {
          // The old connection's callbacks go stale, its timers stop, and it closes.
          const old = handle
          const current = ++generation
          for (const pending of [heartbeatTimer, uptimeTimer]) timers.clearTimeout(pending)
          handle = candidate
          old?.close()
          dispatch({ type: 'upgraded', index })
          return handlersFor(current)
        },
      },
      transports[index] as TransportDefinition,
      (ok) => {
        probe = null
        // No verdict (torn down with the connection): nothing to report.
        if (__DEV__)
          reportProbe(config, index, ok ? 'upgraded' : ok === null ? 'abandoned' : 'failed')
        done(ok)
      },
    )
  }

  const self: Connection & Upgradable = {
    get index(): number {
      return machine.phase.name === 'open' ? machine.phase.index : 0
    },
    upgrade,
    start: () => dispatch({ type: 'start', ...facts() }),
    stop: (error) => dispatch({ type: 'stop', error }),
    restart: () => dispatch({ type: 'restart', ...facts() }),
    sender() {
      return state.status === 'open' ? handle?.send : undefined
    },
  }
  return self
}
