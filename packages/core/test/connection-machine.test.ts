import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  type Effect,
  type MachineEvent,
  type MachineState,
  type Phase,
  reported,
  transition,
} from '../src/connection-machine'
import { arrow, derivedArrows, errors, stateIn } from './connection-machine.samples'

// Every arrow of the connection's state machine, as a unit test of `transition`; and the
// diagram in docs/architecture.md checked against the arrows the machine takes.

const round = (index = 0, tried = 0) => ({ index, tried, worst: null, retryable: false })
const connecting = (patch: Partial<Extract<Phase, { name: 'connecting' }>> = {}): Phase => ({
  name: 'connecting',
  round: round(),
  started: false,
  heard: false,
  ...patch,
})
const open = (stable = false): Phase => ({ name: 'open', index: 0, stable })
const waiting: Phase = { name: 'waiting', round: round() }
const offline: Phase = { name: 'offline', round: round() }
const stopped: Phase = { name: 'stopped' }
const up = { online: true, first: 1 }
const down = { online: false, first: 1 }
const one = { limits: { transports: 1, maxAttempts: 3 } }

interface Case {
  name: string
  from: MachineState
  event: MachineEvent
  phase: Phase
  effects: Effect[]
  /** Other fields of the next state. */
  expect?: Partial<MachineState>
}

const cases: Case[] = [
  // Starting and stopping.
  {
    name: 'start online connects the first transport',
    from: stateIn(stopped, { attempt: 2, error: errors.lost }),
    event: { type: 'start', ...up },
    phase: connecting({ round: round(1) }),
    effects: [{ type: 'watch' }, { type: 'connect', index: 1 }],
    expect: { attempt: 0, error: null, transport: 1 },
  },
  {
    name: 'start offline waits for the network',
    from: stateIn(stopped),
    event: { type: 'start', ...down },
    phase: { name: 'offline', round: round(1) },
    effects: [{ type: 'watch' }],
  },
  {
    name: 'restart of a stopped connection is a start',
    from: stateIn(stopped),
    event: { type: 'restart', ...up },
    phase: connecting({ round: round(1) }),
    effects: [{ type: 'watch' }, { type: 'connect', index: 1 }],
  },
  {
    name: 'restart of a stopped connection offline',
    from: stateIn(stopped),
    event: { type: 'restart', ...down },
    phase: { name: 'offline', round: round(1) },
    effects: [{ type: 'watch' }],
  },
  ...(['connecting', 'open', 'waiting', 'offline'] as const).flatMap((name): Case[] => {
    const from = stateIn({ connecting: connecting(), open: open(), waiting, offline }[name], {
      attempt: 2,
      error: errors.lost,
      hint: 700,
    })
    return [
      {
        name: `restart from ${name} tears down and connects again from attempt 0`,
        from,
        event: { type: 'restart', ...up },
        phase: connecting({ round: round(1) }),
        effects: [
          { type: 'teardown' },
          { type: 'unwatch' },
          { type: 'watch' },
          { type: 'connect', index: 1 },
        ],
        expect: { attempt: 0, error: null, hint: 700 },
      },
      {
        name: `restart from ${name} while offline`,
        from,
        event: { type: 'restart', ...down },
        phase: { name: 'offline', round: round(1) },
        effects: [{ type: 'teardown' }, { type: 'unwatch' }, { type: 'watch' }],
        expect: { attempt: 0, error: null },
      },
      {
        name: `stop from ${name} closes with the error given`,
        from,
        event: { type: 'stop', error: errors.notFound },
        phase: stopped,
        effects: [{ type: 'teardown' }, { type: 'unwatch' }],
        expect: { attempt: 0, error: errors.notFound },
      },
    ]
  }),
  // Connecting.
  {
    name: 'a transport that holds its request is started',
    from: stateIn(connecting()),
    event: { type: 'started' },
    phase: connecting({ started: true }),
    effects: [],
  },
  {
    name: 'a hint before open is heard',
    from: stateIn(connecting()),
    event: { type: 'retry', ms: 2000 },
    phase: connecting({ heard: true }),
    effects: [],
    expect: { hint: 2000 },
  },
  {
    name: 'open forgets an older hint and clears the error, keeping the attempt count',
    from: stateIn(connecting(), { attempt: 2, hint: 3000, error: errors.lost }),
    event: { type: 'opened' },
    phase: open(),
    effects: [{ type: 'alive' }, { type: 'remember', index: 0 }],
    expect: { attempt: 2, hint: null, error: null },
  },
  {
    name: 'open keeps the hint this connection sent; one transport is not remembered',
    from: stateIn(connecting({ heard: true }), { hint: 3000, ...one }),
    event: { type: 'opened' },
    phase: open(),
    effects: [{ type: 'alive' }],
    expect: { hint: 3000 },
  },
  {
    name: 'a transport that never opened gives way to the next at once',
    from: stateIn(connecting()),
    event: { type: 'closed', error: errors.notFound, ...up },
    phase: connecting({
      round: { index: 1, tried: 1, worst: errors.notFound, retryable: false },
    }),
    effects: [
      { type: 'teardown', reason: errors.notFound },
      { type: 'connect', index: 1 },
    ],
    expect: { error: errors.notFound, transport: 1 },
  },
  {
    name: 'an open timeout gives way to the next transport too',
    from: stateIn(connecting()),
    event: { type: 'timeout', error: errors.timeout, ...up },
    phase: connecting({ round: { index: 1, tried: 1, worst: errors.timeout, retryable: true } }),
    effects: [
      { type: 'teardown', reason: errors.timeout },
      { type: 'connect', index: 1 },
    ],
  },
  {
    name: 'a round that failed in a way a retry can fix waits, from the first transport',
    from: stateIn(connecting({ round: { ...round(), tried: 1 } }), { attempt: 1, hint: 800 }),
    event: { type: 'closed', error: errors.lost, ...up },
    phase: { name: 'waiting', round: round(1) },
    effects: [
      { type: 'teardown', reason: errors.lost },
      { type: 'wait', attempt: 2, base: 800 },
    ],
    expect: { attempt: 2, error: errors.lost },
  },
  {
    name: 'an open timeout that ends a round waits',
    from: stateIn(connecting(), one),
    event: { type: 'timeout', error: errors.timeout, ...up },
    phase: { name: 'waiting', round: round(1) },
    effects: [
      { type: 'teardown', reason: errors.timeout },
      { type: 'wait', attempt: 1, base: null },
    ],
  },
  {
    name: 'a failed round while the network is gone waits offline, with no timer',
    from: stateIn(connecting(), one),
    event: { type: 'closed', ...down },
    phase: { name: 'offline', round: round(1) },
    effects: [{ type: 'teardown' }],
    expect: { attempt: 1 },
  },
  {
    name: 'an open timeout while offline',
    from: stateIn(connecting(), one),
    event: { type: 'timeout', error: errors.timeout, ...down },
    phase: { name: 'offline', round: round(1) },
    effects: [{ type: 'teardown', reason: errors.timeout }],
  },
  {
    name: 'a round where nothing could heal by retrying stops',
    from: stateIn(connecting(), one),
    event: { type: 'closed', error: errors.notFound, ...up },
    phase: stopped,
    effects: [{ type: 'teardown', reason: errors.notFound }, { type: 'unwatch' }],
    expect: { attempt: 0, error: errors.notFound },
  },
  // Failover (`url: [a, b]`): a whole failed round moves to the next server URL; nothing else does.
  {
    name: 'a failed round with other server URLs moves to the next one, then waits',
    from: stateIn(connecting(), { limits: { transports: 1, maxAttempts: 3, failover: true } }),
    event: { type: 'closed', error: errors.lost, ...up },
    phase: { name: 'waiting', round: round(1) },
    effects: [
      { type: 'teardown', reason: errors.lost },
      { type: 'move' },
      { type: 'wait', attempt: 1, base: null },
    ],
    expect: { attempt: 1, error: errors.lost },
  },
  {
    name: 'a transport failing mid-round with other server URLs does not move',
    from: stateIn(connecting(), { limits: { transports: 2, maxAttempts: 3, failover: true } }),
    event: { type: 'closed', error: errors.lost, ...up },
    phase: connecting({ round: { index: 1, tried: 1, worst: errors.lost, retryable: true } }),
    effects: [
      { type: 'teardown', reason: errors.lost },
      { type: 'connect', index: 1 },
    ],
  },
  {
    name: 'a failed round without network does not move: the server is not to blame',
    from: stateIn(connecting(), { limits: { transports: 1, maxAttempts: 3, failover: true } }),
    event: { type: 'closed', error: errors.lost, ...down },
    phase: { name: 'offline', round: round(1) },
    effects: [{ type: 'teardown', reason: errors.lost }],
  },
  {
    name: 'a drop of an open connection with other server URLs stays on its URL',
    from: stateIn(open(true), { limits: { transports: 2, maxAttempts: 3, failover: true } }),
    event: { type: 'closed', error: errors.lost, ...up },
    phase: { name: 'waiting', round: round(0) },
    effects: [
      { type: 'teardown', reason: errors.lost },
      { type: 'wait', attempt: 1, base: null },
    ],
  },
  {
    name: 'the last allowed attempt timing out gives up',
    from: stateIn(connecting(), { attempt: 3, ...one }),
    event: { type: 'timeout', error: errors.timeout, ...up },
    phase: stopped,
    effects: [{ type: 'teardown', reason: errors.timeout }, { type: 'unwatch' }],
    expect: { attempt: 0 },
  },
  {
    name: 'offline while a retry prepares its request: offline, same round',
    from: stateIn(connecting({ round: round(1, 1) }), { attempt: 1 }),
    event: { type: 'offline' },
    phase: { name: 'offline', round: round(1, 1) },
    effects: [{ type: 'teardown' }],
  },
  {
    name: 'online while a retry prepares its request: that transport again, at once',
    from: stateIn(connecting({ round: round(1, 1) }), { attempt: 1 }),
    event: { type: 'online' },
    phase: connecting({ round: round(1, 1) }),
    effects: [{ type: 'teardown' }, { type: 'connect', index: 1 }],
  },
  {
    name: 'visible while a retry prepares its request',
    from: stateIn(connecting(), { attempt: 1 }),
    event: { type: 'visible' },
    phase: connecting(),
    effects: [{ type: 'teardown' }, { type: 'connect', index: 0 }],
  },
  // Open.
  {
    name: 'a hint while open replaces the last',
    from: stateIn(open(), { hint: 100 }),
    event: { type: 'retry', ms: 2000 },
    phase: open(),
    effects: [],
    expect: { hint: 2000 },
  },
  {
    name: 'open for MIN_UPTIME: attempt back to 0',
    from: stateIn(open(), { attempt: 4, hint: 900 }),
    event: { type: 'stable' },
    phase: open(true),
    effects: [],
    expect: { attempt: 0, hint: 900 },
  },
  {
    name: 'a probe of a better transport opened: it is the connection, unproven, and remembered',
    from: stateIn({ name: 'open', index: 1, stable: true }, { transport: 1, attempt: 0 }),
    event: { type: 'upgraded', index: 0 },
    phase: { name: 'open', index: 0, stable: false },
    effects: [{ type: 'alive' }, { type: 'remember', index: 0 }],
    expect: { transport: 0 },
  },
  {
    name: 'a drop before MIN_UPTIME grows the attempt; the same transport is retried',
    from: stateIn(open(), { attempt: 2, hint: 900 }),
    event: { type: 'closed', ...up },
    phase: { name: 'waiting', round: round(0) },
    effects: [{ type: 'teardown' }, { type: 'wait', attempt: 3, base: 900 }],
    expect: { attempt: 3 },
  },
  {
    name: 'silence waits like a drop',
    from: stateIn(open(true)),
    event: { type: 'silence', error: errors.silence, ...up },
    phase: { name: 'waiting', round: round(0) },
    effects: [
      { type: 'teardown', reason: errors.silence },
      { type: 'wait', attempt: 1, base: null },
    ],
    expect: { error: errors.silence },
  },
  {
    name: 'a drop while offline',
    from: stateIn(open(true)),
    event: { type: 'closed', error: errors.lost, ...down },
    phase: { name: 'offline', round: round(0) },
    effects: [{ type: 'teardown', reason: errors.lost }],
  },
  {
    name: 'silence while offline',
    from: stateIn(open(true)),
    event: { type: 'silence', error: errors.silence, ...down },
    phase: { name: 'offline', round: round(0) },
    effects: [{ type: 'teardown', reason: errors.silence }],
  },
  {
    name: 'a final refusal stops at once, whatever the phase',
    from: stateIn(open(true)),
    event: { type: 'closed', error: errors.forbidden, ...up },
    phase: stopped,
    effects: [{ type: 'teardown', reason: errors.forbidden }, { type: 'unwatch' }],
    expect: { error: errors.forbidden },
  },
  {
    name: 'silence on the last allowed attempt gives up',
    from: stateIn(open(), { attempt: 3 }),
    event: { type: 'silence', error: errors.silence, ...up },
    phase: stopped,
    effects: [{ type: 'teardown', reason: errors.silence }, { type: 'unwatch' }],
  },
  // Waiting and offline.
  {
    name: 'the backoff delay is over: the round begins',
    from: stateIn(waiting, { attempt: 1 }),
    event: { type: 'elapsed' },
    phase: connecting(),
    effects: [{ type: 'connect', index: 0 }],
  },
  {
    name: 'offline while waiting cancels the timer',
    from: stateIn(waiting, { attempt: 1 }),
    event: { type: 'offline' },
    phase: offline,
    effects: [{ type: 'teardown' }],
  },
  ...(['online', 'visible'] as const).flatMap((type): Case[] => [
    {
      name: `${type} while waiting connects at once`,
      from: stateIn(waiting, { attempt: 1 }),
      event: { type },
      phase: connecting(),
      effects: [{ type: 'teardown' }, { type: 'connect', index: 0 }],
    },
    {
      name: `${type} while offline connects at once`,
      from: stateIn(offline, { attempt: 1 }),
      event: { type },
      phase: connecting(),
      effects: [{ type: 'teardown' }, { type: 'connect', index: 0 }],
    },
  ]),
]

describe('connection state machine', () => {
  it.each(cases)('$name', ({ from, event, phase, effects, expect: fields }) => {
    const step = transition(from, event)
    expect(step.state.phase).toEqual(phase)
    expect(step.effects).toEqual(effects)
    if (fields) expect(step.state).toMatchObject(fields)
  })

  it('has a unit test above for every arrow it takes', () => {
    const tested = new Set(
      cases.map((c) => arrow(c.from, c.event, transition(c.from, c.event).state)),
    )
    expect([...derivedArrows()].filter((a) => !tested.has(a))).toEqual([])
  })

  it.each([
    ['a second start', stateIn(connecting()), { type: 'start', ...up }],
    ['opened twice', stateIn(open()), { type: 'opened' }],
    ['online while open', stateIn(open()), { type: 'online' }],
    ['online on a first attempt', stateIn(connecting()), { type: 'online' }],
    [
      'offline once the request is out',
      stateIn(connecting({ started: true }), { attempt: 1 }),
      { type: 'offline' },
    ],
    ['offline while offline', stateIn(offline), { type: 'offline' }],
    ['stop when stopped', stateIn(stopped), { type: 'stop' }],
    ['a late open timeout', stateIn(open()), { type: 'timeout', error: errors.timeout, ...up }],
    ['stable twice', stateIn(open(true)), { type: 'stable' }],
    ['an upgrade to the transport it is on', stateIn(open()), { type: 'upgraded', index: 0 }],
    ['an upgrade while connecting', stateIn(connecting()), { type: 'upgraded', index: 0 }],
    ['an upgrade while waiting', stateIn(waiting), { type: 'upgraded', index: 0 }],
  ] as Array<[string, MachineState, MachineEvent]>)('ignores %s', (_, from, event) => {
    expect(transition(from, event)).toEqual({ state: from, effects: [] })
  })

  it('reports attempt 0 while open, and the status of each phase', () => {
    const at = (phase: Phase, attempt: number) => reported(stateIn(phase, { attempt }))
    expect(at(open(), 3)).toMatchObject({ status: 'open', attempt: 0 })
    expect(at(connecting(), 0)).toMatchObject({ status: 'connecting', attempt: 0 })
    expect(at(connecting(), 2)).toMatchObject({ status: 'reconnecting', attempt: 2 })
    expect(at(waiting, 2)).toMatchObject({ status: 'reconnecting', attempt: 2 })
    expect(at(offline, 2)).toMatchObject({ status: 'offline', attempt: 2 })
    expect(at(stopped, 0)).toMatchObject({ status: 'closed' })
  })
})

describe('the diagram in docs/architecture.md', () => {
  const architecture = readFileSync(
    new URL('../../../docs/architecture.md', import.meta.url),
    'utf8',
  )
  const section = architecture.slice(architecture.indexOf('### Status'))
  const block = /```text\n([\s\S]*?)```/.exec(section)?.[1] ?? ''
  const documented = new Set(
    block
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.includes('-->')),
  )

  it('lists every arrow the machine takes', () => {
    expect([...derivedArrows()].filter((a) => !documented.has(a))).toEqual([])
  })

  it('lists no arrow the machine does not take', () => {
    const derived = derivedArrows()
    expect([...documented].filter((a) => !derived.has(a))).toEqual([])
  })
})
