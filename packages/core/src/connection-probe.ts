import { LiveDataError } from './errors'
import type {
  LiveTimers,
  TransportConnection,
  TransportContext,
  TransportDefinition,
  TransportHandlers,
} from './types'

/** What a probe needs of the connection it runs beside. */
export interface ProbeHost {
  readonly openTimeout: number
  readonly timers: LiveTimers
  /** Builds the context of a connect on `transport` (resolves headers, reads the cursor). */
  context(transport: TransportDefinition): Promise<TransportContext>
  /** Where a probe on trial delivers: the source's pipeline, which drops what both bring. */
  readonly listener: Pick<TransportHandlers, 'onMessage' | 'onCursor' | 'onGap' | 'onError'>
  /**
   * The probe opened: make `candidate` the connection (the old one closes) and return the
   * handlers it goes on with, as any connection of the runner.
   */
  promote(candidate: TransportConnection): TransportHandlers
}

/**
 * Opens `transport` beside the open connection, on trial: until it opens, both deliver (each
 * resumes from the source's cursor, so the source's id check drops what both bring) and nothing
 * else of it counts (its activity feeds no heartbeat, its close fails only the probe). When it
 * opens within `openTimeout` it is promoted and `done(true)`; when it fails or times out, it is
 * closed unseen and `done(false)`; abandoned (the connection was torn down), `done(null)`: no
 * verdict on the transport.
 *
 * @example
 * ```ts
 * const probe = startProbe(host, websocket, (ok) => prober.report(ok))
 * probe.abandon() // the connection is torn down: the probe goes too
 * ```
 */
export function startProbe(
  host: ProbeHost,
  transport: TransportDefinition,
  done: (ok: boolean | null) => void,
): { abandon(): void } {
  let trial = true
  let aborted = false
  let candidate: TransportConnection | null = null
  // The runner's handlers once promoted: every call goes there from then on.
  let after: TransportHandlers | null = null
  const finish = (ok: boolean, reason?: LiveDataError): void => {
    if (!trial) return
    trial = false
    host.timers.clearTimeout(timer)
    if (!ok) candidate?.close(reason)
    done(aborted ? null : ok)
  }
  const timer = host.timers.setTimeout(() => {
    finish(false, new LiveDataError('ERR_OPEN_TIMEOUT', `${transport.name} did not open in time`))
  }, host.openTimeout)
  const { listener } = host
  const handlers: TransportHandlers = {
    onOpen() {
      if (after) return after.onOpen()
      if (!trial) return
      // Opened inside connect() itself: promoted once connect() has returned its handle.
      if (candidate === null) return void queueMicrotask(() => handlers.onOpen())
      // Promoted first, then reported: the prober hears of the success once the connection is
      // on the new transport, and does not probe it again from the old one.
      after = host.promote(candidate)
      finish(true)
    },
    onActivity: () => after?.onActivity(),
    onMessage(message) {
      if (after) after.onMessage(message)
      else if (trial) listener.onMessage(message)
    },
    onCursor(id) {
      if (after) after.onCursor(id)
      else if (trial) listener.onCursor(id)
    },
    onGap(replay) {
      if (after) after.onGap(replay)
      else if (trial) listener.onGap(replay)
    },
    onError(error) {
      if (after) after.onError(error)
      else if (trial) listener.onError(error)
    },
    onRetry: (ms) => after?.onRetry(ms),
    onClose(error) {
      if (after) after.onClose(error)
      else finish(false)
    },
  }
  host.context(transport).then(
    (context) => {
      if (!trial) return
      try {
        candidate = transport.connect(context, handlers)
      } catch {
        finish(false)
      }
    },
    () => finish(false),
  )
  return {
    abandon() {
      // Torn down with the connection: no verdict on the transport.
      if (!trial) return
      aborted = true
      finish(false)
    },
  }
}
