import {
  initialState,
  type MachineEvent,
  type MachineState,
  type Phase,
  type Round,
  transition,
} from '../src/connection-machine'
import { LiveDataError } from '../src/errors'

// Sample states and events enough to reach every branch of `transition`, and the arrows they
// take: the machine's diagram, derived from the machine itself.

export const errors = {
  lost: new LiveDataError('ERR_CONNECTION_LOST', 'dropped'),
  notFound: new LiveDataError('ERR_HTTP_STATUS', '404', { status: 404, retryable: false }),
  forbidden: new LiveDataError('ERR_HTTP_STATUS', '403', {
    status: 403,
    serverCode: 'ERR_FORBIDDEN',
    retryable: false,
  }),
  timeout: new LiveDataError('ERR_OPEN_TIMEOUT', 'sse did not open in time'),
  silence: new LiveDataError('ERR_HEARTBEAT_TIMEOUT', 'Nothing arrived for 1000 ms'),
}

const round = (tried = 0, retryable = false): Round => ({
  index: 0,
  tried,
  worst: null,
  retryable,
})

/** A state in `phase`, with two transports unless said otherwise. */
export function stateIn(phase: Phase, patch: Partial<MachineState> = {}): MachineState {
  return {
    ...initialState({ transports: 2, maxAttempts: 3 }),
    transport: 0,
    phase,
    ...patch,
  }
}

export function sampleStates(): MachineState[] {
  const phases: Phase[] = [{ name: 'stopped' }]
  for (const started of [false, true]) {
    for (const heard of [false, true]) {
      for (const [tried, retryable] of [
        [0, false],
        [1, false],
        [1, true],
      ] as const) {
        phases.push({ name: 'connecting', round: round(tried, retryable), started, heard })
      }
    }
  }
  for (const stable of [false, true]) {
    for (const index of [0, 1]) phases.push({ name: 'open', index, stable })
  }
  phases.push({ name: 'waiting', round: round() }, { name: 'offline', round: round() })
  const states: MachineState[] = []
  for (const phase of phases) {
    for (const attempt of [0, 1, 3]) {
      for (const transports of [1, 2]) {
        states.push(stateIn(phase, { attempt, limits: { transports, maxAttempts: 3 } }))
      }
    }
  }
  return states
}

export function sampleEvents(): MachineEvent[] {
  const events: MachineEvent[] = [
    { type: 'stop' },
    { type: 'stop', error: errors.notFound },
    { type: 'started' },
    { type: 'opened' },
    { type: 'stable' },
    { type: 'retry', ms: 3000 },
    { type: 'elapsed' },
    { type: 'offline' },
    { type: 'online' },
    { type: 'visible' },
    { type: 'upgraded', index: 0 },
  ]
  for (const online of [true, false]) {
    const facts = { online, first: 1 }
    events.push({ type: 'start', ...facts }, { type: 'restart', ...facts })
    events.push({ type: 'timeout', error: errors.timeout, ...facts })
    events.push({ type: 'silence', error: errors.silence, ...facts })
    events.push({ type: 'closed', ...facts })
    for (const error of [errors.lost, errors.notFound, errors.forbidden]) {
      events.push({ type: 'closed', error, ...facts })
    }
  }
  return events
}

/** One arrow of the diagram: `from --event--> to`. */
export const arrow = (from: MachineState, event: MachineEvent, to: MachineState): string =>
  `${from.phase.name} --${event.type}--> ${to.phase.name}`

/** Every arrow the machine takes from the samples (an event that changes nothing is none). */
export function derivedArrows(): Set<string> {
  const arrows = new Set<string>()
  for (const state of sampleStates()) {
    for (const event of sampleEvents()) {
      const step = transition(state, event)
      if (step.state !== state || step.effects.length > 0)
        arrows.add(arrow(state, event, step.state))
    }
  }
  return arrows
}
