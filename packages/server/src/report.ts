import type { IncomingMessage } from 'node:http'
import { LiveServerError } from './errors'
import type { RequestTransport } from './hub'

/** What an error reported to `onError` is about. */
export interface ErrorContext {
  /**
   * `true` for a client's fault (a bad frame, a refused origin or host, an aborted body): expected
   * on the open internet, worth a line, not a stack. `false` for the server's own (a `message`
   * listener or `authorize` threw, something failed inside the server): a bug to fix.
   */
  client: boolean
  /** The transport that carried it, when known (`'http'` for a POST send). */
  transport?: RequestTransport
  /** The channel it was about, when known. */
  channel?: string
  /**
   * The HTTP request, when there is one. For a WebSocket on Node, a request equal to the upgrade
   * request (its headers, URL and socket), made for the report: not the upgrade's own object.
   */
  request?: IncomingMessage
  /** The client's IP address, when known (kept from the start: a socket that closed forgets it). */
  address?: string
}

/** Receives what went wrong while serving; see `LiveServerOptions.onError`. */
export type ErrorHandler = (error: LiveServerError, context: ErrorContext) => void

/** Options of {@link consoleReporter}. */
export interface ConsoleReporterOptions {
  /**
   * Lines written per `window` for each kind of fault, the client's and the server's, counted
   * apart; past that they are counted, and the count written once. Default 20.
   */
  limit?: number
  /** The window of `limit`, in ms. Default 10 000. */
  window?: number
  /** Where lines go. Default `console.error`. */
  write?: (line: string) => void
}

const PREFIX = '[@livedata/server]'

/** The stack of a server fault: the cause's when there is one, it says where the app threw. */
function stackOf(error: LiveServerError): string {
  const cause = error.cause
  try {
    if (cause instanceof Error) return cause.stack ?? `${cause.name}: ${cause.message}`
    if (cause !== undefined)
      return `thrown: ${typeof cause === 'string' ? cause.slice(0, 200) : typeof cause}`
  } catch {
    // A cause with a throwing getter says nothing more.
  }
  return error.stack ?? ''
}

/** One kind's budget of lines per window; past it, reports are counted and the count written. */
function lineBudget(
  kind: 'client' | 'server',
  limit: number,
  window: number,
  write: (line: string) => void,
): () => boolean {
  let windowStart = Number.NEGATIVE_INFINITY
  let written = 0
  let suppressed = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (suppressed > 0) {
      write(
        `${PREFIX} ${suppressed} more ${kind} reports in the last ${window / 1000} s were not shown`,
      )
    }
    suppressed = 0
  }
  return () => {
    const now = Date.now()
    if (now - windowStart >= window) {
      flush()
      windowStart = now
      written = 0
    }
    if (written >= limit) {
      suppressed++
      timer ??= setTimeout(flush, windowStart + window - now)
      timer.unref?.()
      return false
    }
    written++
    return true
  }
}

/**
 * The default `onError`: one line per report, `[@livedata/server] <code>: <message>` and the
 * client's address, and a stack only for the server's own faults. Client faults and server
 * faults have budgets of their own, `limit` lines per `window` each (then one line saying how
 * many were not shown), so that a peer sending garbage never hides a server fault.
 *
 * @example
 * ```ts
 * const log = consoleReporter()
 * createLiveServer({
 *   onError(error, context) {
 *     metrics.increment(`live.error.${error.code}`)
 *     log(error, context)
 *   },
 * })
 * ```
 */
export function consoleReporter(options: ConsoleReporterOptions = {}): ErrorHandler {
  const limit = options.limit ?? 20
  const window = options.window ?? 10_000
  const write = options.write ?? ((line: string) => console.error(line))
  const clientBudget = lineBudget('client', limit, window, write)
  const serverBudget = lineBudget('server', limit, window, write)
  return (error, context) => {
    if (!(context.client ? clientBudget : serverBudget)()) return
    const address = context.address ?? context.request?.socket?.remoteAddress
    const from = address ? ` (from ${address})` : ''
    const code = error instanceof LiveServerError ? error.code : 'ERR_INTERNAL'
    const line = `${PREFIX} ${code}: ${error.message}${from}`
    write(context.client ? line : `${line}\n${stackOf(error)}`)
  }
}

/**
 * Wraps the app's `onError` so that reporting can never throw into the server: a handler that
 * throws is itself reported by the default reporter.
 */
export function safeReporter(handler: ErrorHandler | undefined): ErrorHandler {
  const fallback = consoleReporter()
  if (handler === undefined) return fallback
  return (error, context) => {
    try {
      handler(error, context)
    } catch (cause) {
      fallback(new LiveServerError('ERR_INTERNAL', 'onError threw', { cause }), { client: false })
      fallback(error, context)
    }
  }
}
