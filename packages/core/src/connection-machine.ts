import { moreRelevant } from './error-relevance'
import { LiveDataError } from './errors'
import { isFinalRefusal } from './server-error'
import type { LiveStatus } from './types'

/**
 * How long a connection must stay open before the attempt count returns to 0, in ms, unless it
 * delivered a message first (which proves it at once). A server that accepts and drops at once,
 * delivering nothing, is thus retried with growing delays, not every `minDelay`.
 */
export const MIN_UPTIME = 5000

/**
 * A fallback round: the transport it is at, how many it tried since the round began, its most
 * relevant error so far and whether any of its failures was worth a retry.
 */
export interface Round {
  readonly index: number
  readonly tried: number
  readonly worst: LiveDataError | null
  readonly retryable: boolean
}

/**
 * Where a connection is. `connecting` is one transport being opened (`started` once it holds a
 * request or socket, `heard` once it sent a `retry` hint); `waiting` is the backoff before the
 * next round, `offline` the same while the browser has no network.
 */
export type Phase =
  | { readonly name: 'stopped' }
  | {
      readonly name: 'connecting'
      readonly round: Round
      readonly started: boolean
      readonly heard: boolean
    }
  | { readonly name: 'open'; readonly index: number; readonly stable: boolean }
  | { readonly name: 'waiting'; readonly round: Round }
  | { readonly name: 'offline'; readonly round: Round }

/** The whole state of a connection: a plain value that only {@link transition} changes. */
export interface MachineState {
  readonly phase: Phase
  /** Backoff attempts since the last open that lasted {@link MIN_UPTIME} (0 in the snapshot while open). */
  readonly attempt: number
  /** The server's `retry` hint, in ms, until a connection that did not send one opens. */
  readonly hint: number | null
  /** The error the snapshot shows. */
  readonly error: LiveDataError | null
  /** The transport last connected, for the snapshot. */
  readonly transport: number | null
  /**
   * How many transports there are, the most backoff attempts allowed, and whether there are other
   * server URLs to move to (`url: [a, b, …]`).
   */
  readonly limits: {
    readonly transports: number
    readonly maxAttempts: number
    readonly failover?: boolean
  }
}

/** What the environment says when an event needs it: the network, and the transport to start with. */
interface Facts {
  readonly online: boolean
  /** The index of the transport every new round starts with (the one that worked last). */
  readonly first: number
}

/** What happens to a connection. */
export type MachineEvent =
  | ({ readonly type: 'start' } & Facts)
  | ({ readonly type: 'restart' } & Facts)
  | { readonly type: 'stop'; readonly error?: LiveDataError }
  /** The transport's `connect()` returned: it holds a request or socket now. */
  | { readonly type: 'started' }
  | { readonly type: 'opened' }
  /** The connection proved itself: it stayed open for {@link MIN_UPTIME}, or delivered a message. */
  | { readonly type: 'stable' }
  | { readonly type: 'retry'; readonly ms: number }
  /** The transport ended, failed, or could not start. */
  | ({ readonly type: 'closed'; readonly error?: LiveDataError } & Facts)
  /** The transport did not open within `openTimeout`. */
  | ({ readonly type: 'timeout'; readonly error: LiveDataError } & Facts)
  /** Nothing arrived for `heartbeatTimeout`. */
  | ({ readonly type: 'silence'; readonly error: LiveDataError } & Facts)
  /**
   * A probe of a better transport (`index`) opened while this one was open: it is the connection
   * now (see `upgrade-prober.ts`).
   */
  | { readonly type: 'upgraded'; readonly index: number }
  /** The backoff delay is over. */
  | { readonly type: 'elapsed' }
  | { readonly type: 'offline' }
  | { readonly type: 'online' }
  | { readonly type: 'visible' }

/** What the runner does for a transition, in order. */
export type Effect =
  /** Close the transport (with `reason`), cancel every timer, ignore the old callbacks. */
  | { readonly type: 'teardown'; readonly reason?: LiveDataError }
  /** Open transport `index` and arm the open timer. */
  | { readonly type: 'connect'; readonly index: number }
  /** Cancel the open timer; arm the heartbeat and the uptime timer. */
  | { readonly type: 'alive' }
  /** Remember transport `index` as the one every later connect starts with. */
  | { readonly type: 'remember'; readonly index: number }
  /** Every transport of a round failed on this server URL: use the next URL from now on. */
  | { readonly type: 'move' }
  /** Arm the backoff timer for `attempt`, from `base` (the hint) or `minDelay`. */
  | { readonly type: 'wait'; readonly attempt: number; readonly base: number | null }
  /** Listen to, or stop listening to, the online and visibility signals. */
  | { readonly type: 'watch' }
  | { readonly type: 'unwatch' }

/** A transition's result. */
export interface Step {
  readonly state: MachineState
  readonly effects: readonly Effect[]
}

/**
 * A stopped connection's state.
 *
 * @example
 * ```ts
 * const state = initialState({ transports: 2, maxAttempts: Number.POSITIVE_INFINITY })
 * transition(state, { type: 'start', online: true, first: 0 }).effects // watch, connect 0
 * ```
 */
export function initialState(limits: MachineState['limits']): MachineState {
  return {
    phase: { name: 'stopped' },
    attempt: 0,
    hint: null,
    error: null,
    transport: null,
    limits,
  }
}

const round = (index: number): Round => ({ index, tried: 0, worst: null, retryable: false })

const step = (state: MachineState, patch: Partial<MachineState>, effects: Effect[] = []): Step => ({
  state: { ...state, ...patch },
  effects,
})

const connecting = (state: MachineState, next: Round, effects: Effect[] = []): Step =>
  step(
    state,
    {
      phase: { name: 'connecting', round: next, started: false, heard: false },
      transport: next.index,
    },
    [...effects, { type: 'connect', index: next.index }],
  )

const start = (state: MachineState, facts: Facts, effects: Effect[]): Step => {
  const next = round(facts.first)
  effects.push({ type: 'watch' })
  state = { ...state, attempt: 0, error: null }
  return facts.online
    ? connecting(state, next, effects)
    : step(state, { phase: { name: 'offline', round: next } }, effects)
}

const stop = (state: MachineState, error: LiveDataError | null, effects: Effect[]): Step =>
  step(state, { phase: { name: 'stopped' }, attempt: 0, error }, [...effects, { type: 'unwatch' }])

/** The transport ended: the next transport at once, a wait, or the end. */
function ended(state: MachineState, error: LiveDataError | undefined, facts: Facts): Step {
  const { phase, limits } = state
  const effects: Effect[] = [{ type: 'teardown', ...(error && { reason: error }) }]
  let reason = error ?? new LiveDataError('ERR_CONNECTION_LOST', 'The server ended the stream')
  // The origin, the host or authorize said no: no other transport, no retry can change that.
  if (isFinalRefusal(reason)) return stop(state, reason, effects)
  let index = facts.first
  if (phase.name === 'connecting') {
    const { round: current } = phase
    const retryable = current.retryable || reason.retryable
    const worst = moreRelevant(current.worst, reason)
    reason = worst
    const tried = current.tried + 1
    // A transport that never opened may be blocked here: the next one gets its turn at once.
    if (tried < limits.transports) {
      const next = { index: (current.index + 1) % limits.transports, tried, worst, retryable }
      return connecting({ ...state, error: reason }, next, effects)
    }
    // Every transport failed, none in a way a retry could fix (a 404, a wrong content type).
    if (!retryable) return stop(state, reason, effects)
    // A whole round failed here while the network is up: this server is down, the next one
    // gets the next round (after the backoff). An open that dropped never moves: stay where it works.
    if (facts.online && limits.failover) effects.push({ type: 'move' })
  } else {
    if (!reason.retryable) return stop(state, reason, effects)
    if (phase.name === 'open') index = phase.index
  }
  // Not reset by an open shorter than MIN_UPTIME: a server that drops at once is backed off.
  const attempt = state.attempt + 1
  if (attempt > limits.maxAttempts) {
    const exhausted = new LiveDataError(
      'ERR_RECONNECT_EXHAUSTED',
      `Gave up after ${attempt - 1} attempts`,
      { cause: reason, retryable: false },
    )
    return stop(state, exhausted, effects)
  }
  const name = facts.online ? 'waiting' : 'offline'
  if (facts.online) effects.push({ type: 'wait', attempt, base: state.hint })
  return step(state, { phase: { name, round: round(index) }, attempt, error: reason }, effects)
}

/**
 * The connection's state machine: the next state and the effects to run, for one event. Pure:
 * timers, transports and the environment are the runner's (`connection.ts`). An event that does
 * not apply to the phase returns the same state and no effects.
 *
 * @example
 * ```ts
 * let { state, effects } = transition(initialState({ transports: 1, maxAttempts: 5 }), {
 *   type: 'start', online: true, first: 0,
 * })
 * ;({ state, effects } = transition(state, { type: 'opened' })) // phase open, effects alive
 * ```
 */
export function transition(state: MachineState, event: MachineEvent): Step {
  const { phase } = state
  const same: Step = { state, effects: [] }
  const { type } = event
  if (type === 'restart') {
    return start(
      state,
      event,
      phase.name === 'stopped' ? [] : [{ type: 'teardown' }, { type: 'unwatch' }],
    )
  }
  if (phase.name === 'stopped') return type === 'start' ? start(state, event, []) : same
  if (type === 'stop') return stop(state, event.error ?? null, [{ type: 'teardown' }])
  if (phase.name === 'connecting') {
    if (type === 'closed' || type === 'timeout') return ended(state, event.error, event)
    if (type === 'started' && !phase.started)
      return step(state, { phase: { ...phase, started: true } })
    if (type === 'retry') return step(state, { hint: event.ms, phase: { ...phase, heard: true } })
    if (type === 'opened') {
      const { index } = phase.round
      const effects: Effect[] = [{ type: 'alive' }]
      if (state.limits.transports > 1) effects.push({ type: 'remember', index })
      // A connection that said nothing about retrying leaves no hint: an older one no longer applies.
      const hint = phase.heard ? state.hint : null
      return step(
        state,
        { phase: { name: 'open', index, stable: false }, hint, error: null },
        effects,
      )
    }
  }
  if (phase.name === 'open') {
    if (type === 'closed' || type === 'silence') return ended(state, event.error, event)
    if (type === 'retry') return step(state, { hint: event.ms })
    if (type === 'stable' && !phase.stable) {
      return step(state, { attempt: 0, phase: { ...phase, stable: true } })
    }
    // Moved up to a better transport: it has to prove itself (uptime, a message) like any open.
    if (type === 'upgraded' && event.index < phase.index) {
      const { index } = event
      return step(state, { phase: { name: 'open', index, stable: false }, transport: index }, [
        { type: 'alive' },
        { type: 'remember', index },
      ])
    }
    return same
  }
  if (type === 'elapsed' && phase.name === 'waiting') return connecting(state, phase.round)
  // Only a connection waiting for its next attempt is hurried; an open one is left alone, and so
  // is a first attempt or a transport that already holds its request.
  if (
    (type === 'offline' || type === 'online' || type === 'visible') &&
    (phase.name !== 'connecting' || (!phase.started && state.attempt > 0))
  ) {
    if (type !== 'offline') return connecting(state, phase.round, [{ type: 'teardown' }])
    if (phase.name !== 'offline') {
      return step(state, { phase: { name: 'offline', round: phase.round } }, [{ type: 'teardown' }])
    }
  }
  return same
}

/**
 * The status, attempt and error a snapshot shows for a state.
 *
 * @example
 * ```ts
 * reported(initialState({ transports: 1, maxAttempts: 3 })) // { status: 'closed', attempt: 0, … }
 * ```
 */
export function reported(state: MachineState): {
  status: LiveStatus
  attempt: number
  error: LiveDataError | null
} {
  const { phase, attempt, error } = state
  // Connecting after an attempt failed, or waiting for the next one, is reconnecting.
  const status: LiveStatus =
    phase.name === 'stopped'
      ? 'closed'
      : phase.name === 'waiting' || (phase.name === 'connecting' && attempt > 0)
        ? 'reconnecting'
        : phase.name
  return { status, attempt: phase.name === 'open' ? 0 : attempt, error }
}
