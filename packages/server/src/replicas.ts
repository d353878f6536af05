import type { Backplane } from './backplane'
import { Channel } from './channel'
import { LiveServerError } from './errors'
import type { StoredMessage } from './history'
import { compareIds } from './ids'

/** Where one channel of a request starts, as far as loading it is concerned. */
export interface ReplicaStart {
  channel: string
  lastEventId: string | null
}

/** Options of {@link createReplicas}. */
export interface ReplicaOptions {
  /** The shared log the channels are replicas of. */
  backplane: Backplane
  /** Messages each replica keeps. */
  history: number
  /** How long a channel nobody follows stays loaded (and followed), in ms. */
  linger: number
  /**
   * How long a client resuming from an id this node has not read yet waits for the log to reach
   * it, in ms; past it, it is served what the node has (a gap, if the id is not there).
   */
  catchUp: number
  /**
   * How long a prepare may take in all (loading, and catching up to a resumed id), in ms; past
   * it, it rejects with `ERR_BACKPLANE`: a load that never comes never leaves a request waiting.
   */
  timeout: number
  /** Most channels the node follows at once; a prepare of one more rejects with `ERR_BACKPLANE`. */
  maxChannels: number
  /** Reports that the node reached `maxChannels` (once each time it reaches it). */
  report(error: LiveServerError): void
  /** Whether a channel keeps its latest value for fresh subscribers (`keep: 'last'`). */
  keepLast?: (channel: string) => boolean
}

/**
 * The channels a request prepared, as `prepare` loaded them: the transport subscribes to these
 * objects, in the synchronous step that checks `current`.
 */
export interface PreparedChannels {
  /** The loaded channel of that name, as prepared; `undefined` for a name not prepared. */
  get(name: string): Channel | undefined
  /**
   * Whether every prepared channel is still loaded and still the node's (none was lost, dropped
   * or replaced since): read it in the synchronous step that subscribes.
   */
  readonly current: boolean
}

/** The channels a node serves as replicas of a backplane; see {@link createReplicas}. */
export interface Replicas {
  /** The loaded channels, by name (with a backplane, the hub's channels). */
  channels: ReadonlyMap<string, Channel>
  /** The channel of that name, followed and loading from the first call. */
  channel(name: string): Channel
  /**
   * Resolves once every channel of `starts` is loaded and has reached the id its client resumes
   * from (when the log holds it), with those channels; rejects with `ERR_BACKPLANE` when one
   * cannot be loaded, is dropped meanwhile, the node follows `maxChannels` already, or it all
   * takes longer than `timeout`.
   */
  prepare(starts: readonly ReplicaStart[]): Promise<PreparedChannels>
  /** Stops following every channel. */
  close(): void
}

/** One channel fed by the backplane: loading, then live; lost and loading again after a loss. */
class Replica {
  readonly channel: Channel
  /** Settles when the channel holds the log (again); rejected when the first load failed. */
  ready: Promise<void>
  private settle: { resolve: () => void; reject: (error: LiveServerError) => void }
  /** Clients resuming from ids ahead of the channel, waiting for it to reach them. */
  private readonly waiters = new Set<{ id: string; done: () => void }>()
  /** When a client last asked for the channel (ms): a channel nobody asks for is dropped. */
  usedAt = Date.now()
  /** Prepares waiting on the channel now: one that has any is never dropped by the sweeper. */
  pending = 0
  /** Whether the channel holds the log now: loaded, and not lost or dropped since. */
  loaded = false
  unfollow: () => void = () => {}

  constructor(name: string, history: number, keepLast = false) {
    this.channel = new Channel(name, history, undefined, keepLast)
    this.settle = { resolve: () => {}, reject: () => {} }
    this.ready = this.loading()
  }

  private loading(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject }
    })
    // A load that fails with nobody waiting is not an unhandled rejection.
    ready.catch(() => {})
    return ready
  }

  load(messages: StoredMessage[], more: boolean): void {
    this.channel.history.fill(messages, more)
    this.loaded = true
    this.settle.resolve()
    this.release()
  }

  message(message: StoredMessage): void {
    const newest = this.channel.history.newest()
    // The log gives each message once; an id at or below the newest is never delivered twice.
    if (newest !== undefined && compareIds(message.id, newest.id) <= 0) return
    this.channel.publish(message)
    this.release()
  }

  lost(): void {
    this.loaded = false
    this.ready = this.loading()
    this.channel.lose()
  }

  failed(error: LiveServerError): void {
    this.settle.reject(error)
  }

  /** Resolves once the channel holds `id` or newer, or after `timeout` ms. */
  reach(id: string, timeout: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = {
        id,
        done: () => {
          clearTimeout(timer)
          this.waiters.delete(waiter)
          resolve()
        },
      }
      const timer = setTimeout(waiter.done, timeout)
      this.waiters.add(waiter)
      this.release()
    })
  }

  private release(): void {
    const cursor = this.channel.history.cursor()
    for (const waiter of this.waiters) {
      if (compareIds(waiter.id, cursor) <= 0) waiter.done()
    }
  }

  /** Whether the client's `id` is ahead of what this node has read. */
  behind(id: string): boolean {
    return compareIds(id, this.channel.history.cursor()) > 0
  }

  /** Stops following: a prepare still waiting for a load is rejected, never left waiting. */
  drop(): void {
    this.loaded = false
    this.unfollow()
    this.settle.reject(
      new LiveServerError(
        'ERR_BACKPLANE',
        `The channel "${this.channel.name}" stopped being followed while it loaded`,
      ),
    )
    for (const waiter of this.waiters) waiter.done()
  }
}

const ID = /^\d{1,20}-\d{1,20}$/

/**
 * The channels of a node that serves from a backplane: each one a replica of the channel's
 * shared log, loaded when a client first asks for it (`prepare`), then fed by the backplane's
 * follow in the log's order (a local publish included: it reaches this node's clients the same
 * way as everyone else's), and dropped `linger` ms after its last client left (never while a
 * prepare waits on it). A lost log ends the channel's connections: their clients resume and are
 * told of the gap. At most `maxChannels` are followed; a prepare never waits longer than
 * `timeout`.
 *
 * @example
 * ```ts
 * const replicas = createReplicas({
 *   backplane, history: 1000, linger: 30_000, catchUp: 5_000, timeout: 10_000,
 *   maxChannels: 10_000, report: (error) => console.error(error),
 * })
 * const prepared = await replicas.prepare([{ channel: 'prices', lastEventId: '1700000000000-3' }])
 * if (prepared.current) {
 *   prepared.get('prices')?.subscribe(subscriber, { lastEventId: '1700000000000-3' })
 * }
 * ```
 */
export function createReplicas(options: ReplicaOptions): Replicas {
  const { backplane, history, linger, catchUp, timeout, maxChannels } = options
  const replicas = new Map<string, Replica>()
  const channels = new Map<string, Channel>()
  /** Whether the node is at `maxChannels` and said so: said again only after it went below. */
  let full = false

  function follow(name: string): Replica {
    let replica = replicas.get(name)
    if (replica !== undefined) {
      replica.usedAt = Date.now()
      return replica
    }
    const created = new Replica(name, history, options.keepLast?.(name))
    replica = created
    replicas.set(name, created)
    channels.set(name, created.channel)
    created.unfollow = backplane.follow(name, {
      load: (messages, more) => created.load(messages, more),
      message: (message) => created.message(message),
      lost: () => created.lost(),
      failed: (error) => {
        created.failed(error)
        // Forgotten, so the next client asking follows it afresh.
        forget(created)
      },
    })
    return created
  }

  function forget(replica: Replica): void {
    if (replicas.get(replica.channel.name) !== replica) return
    replicas.delete(replica.channel.name)
    channels.delete(replica.channel.name)
    replica.drop()
  }

  /** The replica of `name` for a prepare; one more than `maxChannels` is refused. */
  function admit(name: string): Replica {
    if (replicas.size < maxChannels) full = false
    if (replicas.has(name) || replicas.size < maxChannels) return follow(name)
    const message = `This node follows maxChannels (${maxChannels}) channels already; "${name}" cannot be served until some are left, try again later`
    if (!full) {
      full = true
      options.report(
        new LiveServerError(
          'ERR_BACKPLANE',
          `${message} (reported once until the node is below maxChannels again; raise maxChannels if this load is expected)`,
        ),
      )
    }
    throw new LiveServerError('ERR_BACKPLANE', message)
  }

  // A channel nobody follows any more is dropped once it has lingered: its log is the backplane's.
  // One a prepare still waits on is kept: dropping it would leave that request unanswered.
  const sweeper = setInterval(
    () => {
      const before = Date.now() - linger
      for (const replica of replicas.values()) {
        const idle = replica.channel.subscriberCount === 0 && replica.pending === 0
        if (idle && replica.usedAt < before) forget(replica)
      }
    },
    Math.max(1000, linger / 2),
  )
  sweeper.unref?.()

  async function prepareOne(replica: Replica, start: ReplicaStart): Promise<void> {
    try {
      await replica.ready
    } catch (cause) {
      throw new LiveServerError(
        'ERR_BACKPLANE',
        `The channel "${start.channel}" could not be loaded from the backplane; try again later`,
        { cause },
      )
    }
    const { lastEventId } = start
    if (lastEventId === null || !ID.test(lastEventId) || !replica.behind(lastEventId)) return
    // Served before by a node further ahead: wait for the log to reach the id, if it holds it.
    if (await backplane.has(start.channel, lastEventId).catch(() => false)) {
      await replica.reach(lastEventId, catchUp)
    }
  }

  /** Whether each replica is loaded and still the node's one of its name. */
  const currentAll = (taken: readonly Replica[]): boolean =>
    taken.every((replica) => replica.loaded && replicas.get(replica.channel.name) === replica)

  /**
   * Loads every channel of `starts`; again for those lost or replaced while others loaded, until
   * all are loaded at once (the deadline ends it). Each replica it takes is added to `held`.
   */
  async function loadAll(
    starts: readonly ReplicaStart[],
    held: Set<Replica>,
    expired: () => boolean,
  ): Promise<Replica[]> {
    for (;;) {
      const taken = starts.map((start) => admit(start.channel))
      for (const replica of taken) {
        if (held.has(replica)) continue
        held.add(replica)
        replica.pending++
      }
      await Promise.all(taken.map((replica, at) => prepareOne(replica, starts[at] as ReplicaStart)))
      if (currentAll(taken) || expired()) return taken
    }
  }

  async function prepare(starts: readonly ReplicaStart[]): Promise<PreparedChannels> {
    let timer: ReturnType<typeof setTimeout> | undefined
    let expired = false
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true
        const names = starts.map((start) => `"${start.channel}"`).join(', ')
        reject(
          new LiveServerError(
            'ERR_BACKPLANE',
            `The backplane did not load ${names} within ${timeout} ms; try again later`,
          ),
        )
      }, timeout)
    })
    // The replicas this prepare waits on: the sweeper keeps them until it is over.
    const held = new Set<Replica>()
    try {
      const taken = await Promise.race([loadAll(starts, held, () => expired), deadline])
      const byName = new Map(taken.map((replica) => [replica.channel.name, replica]))
      return {
        get: (name) => byName.get(name)?.channel,
        get current() {
          return currentAll(taken)
        },
      }
    } finally {
      expired = true
      clearTimeout(timer)
      for (const replica of held) replica.pending--
    }
  }

  return {
    channels,
    channel: (name) => follow(name).channel,
    prepare,
    close() {
      clearInterval(sweeper)
      for (const replica of [...replicas.values()]) forget(replica)
    },
  }
}
