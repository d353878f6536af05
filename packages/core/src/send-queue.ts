import { LiveDataError } from './errors'
import type { LiveTimers } from './types'

/** Sends one payload at once; resolves with its acknowledgement. */
export type Deliver = (data: unknown, text: string, event: string | undefined) => Promise<unknown>

/** Sends in order: at once, or after the connection they wait for. */
export interface SendQueue {
  /** Sends now, or queues behind a connection on its way or behind sends that wait. */
  send(data: unknown, text: string, event: string | undefined): Promise<unknown>
  /** Sends what waited, one after the other, while nothing is to wait for; call it on a change. */
  flush(): Promise<void>
}

interface Item {
  data: unknown
  text: string
  event: string | undefined
  /** Stops the item's deadline: it is on its way, and its own answer decides. */
  start(): void
  done(error: unknown, acknowledgement?: unknown): void
}

/**
 * Creates the bounded, in-order queue of a source's sends. While `waiting()` says a connection
 * is on its way, sends wait: at most `maxQueuedSends` (one more fails at once with
 * `ERR_SEND_QUEUE_FULL`), each at most `sendTimeout` ms (then `ERR_SEND_TIMEOUT`; the deadline
 * stops once the send is handed to `deliver`). Once nothing is to wait for, `flush` hands them to
 * `deliver` one after the other, and a send made meanwhile goes behind them; what is flushed
 * after `isClosed()` fails with `ERR_CLOSED`. (Positional arguments: option names do not minify.)
 *
 * @example
 * ```ts
 * const queue = createSendQueue(globalTimers, 10_000, 100, waiting, isClosed, deliver)
 * await queue.send({ text: 'hi' }, '{"text":"hi"}', undefined)
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

  const flush = async (): Promise<void> => {
    if (flushing) return
    flushing = true
    while (queue.length > 0 && !waiting()) {
      const item = queue.shift()!
      item.start()
      if (isClosed()) {
        item.done(new LiveDataError('ERR_CLOSED', 'The client is closed'))
        continue
      }
      try {
        item.done(undefined, await deliver(item.data, item.text, item.event))
      } catch (error) {
        item.done(error ?? new LiveDataError('ERR_SEND_FAILED', 'Send failed'))
      }
    }
    flushing = false
  }

  return {
    send(data, text, event) {
      if (!waiting() && queue.length === 0 && !flushing) return deliver(data, text, event)
      if (queue.length >= maxQueuedSends) {
        return Promise.reject(
          new LiveDataError('ERR_SEND_QUEUE_FULL', `${maxQueuedSends} sends already wait`),
        )
      }
      return new Promise<unknown>((resolve, reject) => {
        const timer = timers.setTimeout(() => {
          const at = queue.indexOf(item)
          if (at >= 0) queue.splice(at, 1)
          reject(new LiveDataError('ERR_SEND_TIMEOUT', `Not connected within ${sendTimeout} ms`))
        }, sendTimeout)
        const item: Item = {
          data,
          text,
          event,
          start: () => timers.clearTimeout(timer),
          done(error, acknowledgement) {
            timers.clearTimeout(timer)
            error === undefined ? resolve(acknowledgement) : reject(error)
          },
        }
        queue.push(item)
        void flush()
      })
    },
    flush,
  }
}
