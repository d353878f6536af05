import { backoffDelay, type ReconnectPolicy } from './backoff'
import { LiveDataError } from './errors'
import type { PipelineTarget } from './message-pipeline'
import type { LiveTimers, SourceOptions } from './types'

/** A source's `load` before its stream: see {@link createLoadStep}. */
export interface LoadStep {
  /** Loads when the source has no position yet (else streams at once); a no-op while loading. */
  start(): void
  /** Aborts the load in flight and its retry; says `closed` if it was loading. */
  stop(): void
  /** Whether the source has no position yet: its next start loads. */
  due(): boolean
  /** A gap: stops the stream and loads again (after a backoff when the last load's cursor was already out of history). */
  reload(): void
  /**
   * The stream, open, dropped: a gap from now on is taken for a loss on the server's side (a node
   * restarted, a failover), not for a cursor already out of history. (A stream that drops after
   * it opened but before a stale cursor's gap came reloads at once too; the connection's own
   * backoff still paces those reconnections.)
   */
  dropped(): void
}

/**
 * The current state, then the stream: runs the source's `load` (its `signal` aborted on stop),
 * sets `data` and `lastEventId` to the state and cursor it answers, then calls `stream`, whose
 * connection resumes after that cursor. A failure is `ERR_LOAD` in the snapshot, tried again
 * with backoff (`attempt` counting, `status: 'reconnecting'`) up to `maxAttempts`; a
 * `LiveDataError` that is not `retryable` closes at once.
 *
 * @example
 * ```ts
 * const step = createLoadStep('prices', options, store, timers, policy, Math.random, connection)
 * step.start() // load, then connection.start()
 * ```
 */
export function createLoadStep<T>(
  key: string,
  options: SourceOptions<T, unknown>,
  target: PipelineTarget<T>,
  timers: LiveTimers,
  policy: ReconnectPolicy,
  random: () => number,
  stream: { start(): void; stop(): void },
): LoadStep {
  let controller: AbortController | null = null
  let timer: unknown = null
  let attempt = 0
  // The cursor of the last load, until the stream that opened from it drops: a gap while the
  // source still stands there means that cursor was already out of the server's history.
  let loadedAt: string | null = null
  const { state, update } = target

  const fail = (cause: unknown): void => {
    const retryable = (cause as LiveDataError).retryable !== false
    const error = new LiveDataError(
      'ERR_LOAD',
      `Loading "${key}" failed: ${(cause as Error).message ?? cause}`,
      { cause, retryable },
    )
    if (!retryable || ++attempt > policy.maxAttempts) {
      return update({ status: 'closed', error, attempt: 0 })
    }
    update({ status: 'reconnecting', error, attempt })
    timer = timers.setTimeout(run, backoffDelay(attempt, policy, random))
  }

  function run(): void {
    timer = null
    const current = new AbortController()
    controller = current
    // A load that throws at once fails like one that rejects.
    Promise.resolve(current)
      .then(({ signal }) => (options.load as NonNullable<typeof options.load>)({ signal }))
      .then((loaded) => {
        if (controller !== current) return
        const cursor = loaded?.cursor
        if (typeof cursor !== 'string' || !cursor) {
          throw new Error('load must resolve to { data, cursor } (live.snapshot gives one)')
        }
        controller = null
        loadedAt = cursor
        const data = 'data' in loaded ? loaded.data : options.initialData
        update({ data: data as T, lastEventId: cursor, error: null, gap: false })
        stream.start()
      })
      .catch((cause: unknown) => {
        if (controller !== current) return
        controller = null
        fail(cause ?? 'nothing')
      })
  }

  const busy = (): unknown => controller || timer
  const begin = (): void => {
    attempt = 0
    update({ status: 'connecting', attempt })
    run()
  }

  return {
    due: () => state.lastEventId === null,
    start() {
      if (busy()) return
      state.lastEventId === null ? begin() : stream.start()
    },
    stop() {
      if (!busy()) return
      controller?.abort()
      controller = null
      timers.clearTimeout(timer)
      timer = null
      update({ status: 'closed' })
    },
    reload() {
      const stale = state.lastEventId === loadedAt
      stream.stop()
      update({ gap: true, lastEventId: null })
      // A cursor already out of history loads again after a backoff that grows (a load slower
      // than history lasts would loop); a gap after messages went well loads again at once.
      stale ? fail(new Error('its cursor was out of history')) : begin()
    },
    dropped() {
      loadedAt = null
    },
  }
}
