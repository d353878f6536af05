import { closedError, LiveDataError } from './errors'
import type { LiveTimers } from './types'

/** Sends one payload at once, with its idempotency key; resolves with its acknowledgement. */
export type Deliver = (
  data: unknown,
  text: string,
  event: string | undefined,
  key: string | undefined,
) => Promise<unknown>

/** Sends in order: at once, or after the connection they wait for. */
export interface SendQueue {
  /** Sends now, or queues behind a connection on its way or behind sends that wait. */
  send(data: unknown, text: string, event: string | undefined, key?: string): Promise<unknown>
  /** Sends what waited, one after the other, while nothing is to wait for; call it on a change. */
  flush(): Promise<void>
}

interface Item {
  /** The order of `send` calls: a send retried goes back to its place. */
  seq: number
  data: unknown
  text: string
  event: string | undefined
  key: string | undefined
  /** Answers lost so far (the connection went before the server answered). */
  lost: number
  /** Arms the item's deadline: it waits. */
  wait(): void
  /** Stops the item's deadline: it is on its way, and its own answer decides. */
  start(): void
  done(error: unknown, acknowledgement?: unknown): void
}

/** How often one send is tried again after its answer was lost, at most. */
const MAX_LOST_ANSWERS = 5
/** How long sends hold after a lost answer when the connection still looks open, in ms. */
const RETRY_DELAY = 1000

/**
 * Whether the send may have gone without an answer: the connection went (or never carried it)
 * and the server said nothing. Only such a send is tried again, with its key, so the server
 * delivers it once; a send the server answered (a refusal) or that timed out is settled.
 */
const answerLost = (error: unknown): boolean =>
  error instanceof LiveDataError &&
  error.serverCode === undefined &&
  error.status === undefined &&
  (LOST.includes(error.code) || (error.code === 'ERR_SEND_FAILED' && error.cause !== undefined))

/** How a connection that went reports it (a POST that could not reach the server has a cause). */
const LOST: readonly string[] = [
  'ERR_CONNECTION_LOST',
  'ERR_NETWORK',
  'ERR_HEARTBEAT_TIMEOUT',
  'ERR_OPEN_TIMEOUT',
]

/**
 * Creates the bounded, in-order queue of a source's sends. While `waiting()` says a connection
 * is on its way, sends wait: at most `maxQueuedSends` (one more fails at once with
 * `ERR_SEND_QUEUE_FULL`), each at most `sendTimeout` ms (then `ERR_SEND_TIMEOUT`; the deadline
 * stops once the send is handed to `deliver`). Once nothing is to wait for, `flush` hands them to
 * `deliver` one after the other, and a send made meanwhile goes behind them; what is flushed
 * after `isClosed()` fails with `ERR_CLOSED`. A send whose answer was lost (the connection went
 * before the server answered) goes back to its place, with its idempotency key, and is tried
 * again once the connection is back (at most 5 times, each wait with its own deadline): the
 * server delivers a key once. (Positional arguments: option names do not minify.)
 *
 * @example
 * ```ts
 * const queue = createSendQueue(globalTimers, 10_000, 100, waiting, isClosed, deliver)
 * await queue.send({ text: 'hi' }, '{"text":"hi"}', undefined, newIdempotencyKey())
 * ```
 */
export function createSendQueue(
  timers: LiveTimers,
  sendTimeout: number,
  maxQueuedSends: number,
  waiting: () => boolean,
  isClosed: () => boolean,
  deliver: Deliver,
): SendQueue {
  const queue: Item[] = []
  let flushing = false
  let sent = 0
  // After a lost answer while the connection still looks open: hold until it shows it is not
  // (then it waits as usual) or a moment passed, so that a retry never spins.
  let holding = false

  /** Hands `item` to `deliver`; a lost answer puts it back in its place and holds the queue. */
  const attempt = async (item: Item): Promise<void> => {
    item.start()
    if (isClosed()) return item.done(closedError())
    try {
      item.done(undefined, await deliver(item.data, item.text, item.event, item.key))
    } catch (error) {
      if (!answerLost(error) || ++item.lost > MAX_LOST_ANSWERS || isClosed()) {
        return item.done(error ?? new LiveDataError('ERR_SEND_FAILED', 'Send failed'))
      }
      const at = queue.findIndex((other) => other.seq > item.seq)
      queue.splice(at < 0 ? queue.length : at, 0, item)
      item.wait()
      // Already waiting for the connection to come back: its opening flushes.
      if (!holding && !waiting()) {
        holding = true
        timers.setTimeout(() => {
          holding = false
          void flush()
        }, RETRY_DELAY)
      }
    }
  }

  const flush = async (): Promise<void> => {
    if (holding && waiting()) holding = false
    if (flushing || holding) return
    flushing = true
    while (queue.length > 0 && !waiting() && !holding) await attempt(queue.shift()!)
    flushing = false
  }

  return {
    send(data, text, event, key) {
      const fast = !waiting() && queue.length === 0 && !flushing && !holding
      if (!fast && queue.length >= maxQueuedSends) {
        return Promise.reject(
          new LiveDataError('ERR_SEND_QUEUE_FULL', `${maxQueuedSends} sends already wait`),
        )
      }
      return new Promise<unknown>((resolve, reject) => {
        let timer: unknown
        const item: Item = {
          seq: sent++,
          data,
          text,
          event,
          key,
          lost: 0,
          wait() {
            timer = timers.setTimeout(() => {
              const at = queue.indexOf(item)
              if (at >= 0) queue.splice(at, 1)
              reject(
                new LiveDataError('ERR_SEND_TIMEOUT', `Not connected within ${sendTimeout} ms`),
              )
            }, sendTimeout)
          },
          start: () => timers.clearTimeout(timer),
          done(error, acknowledgement) {
            timers.clearTimeout(timer)
            error === undefined ? resolve(acknowledgement) : reject(error)
          },
        }
        if (fast) {
          void attempt(item)
          return
        }
        queue.push(item)
        item.wait()
        void flush()
      })
    },
    flush,
  }
}
