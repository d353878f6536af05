import type { ServerResponse } from 'node:http'
import type { Sink } from './exchange'

/**
 * The sink of a `node:http` answer whose head is written: `buffered()` is the response's
 * `writableLength`, `drained` its `drain` event. Writes made in one tick leave in one syscall.
 *
 * @example
 * ```ts
 * response.writeHead(200, { 'Content-Type': 'text/event-stream' })
 * const sink = nodeSink(response)
 * sink.write('data: hello\n\n')
 * ```
 */
export function nodeSink(response: ServerResponse): Sink {
  return {
    write(text) {
      // Messages published in one tick leave in one write (one syscall), not one each.
      if (response.writableCorked === 0) {
        response.cork()
        process.nextTick(() => response.uncork())
      }
      response.write(text)
    },
    buffered: () => response.writableLength,
    drained(listener) {
      response.on('drain', listener)
    },
    end(text) {
      if (text === undefined) response.end()
      else response.end(text)
    },
    destroy() {
      response.destroy()
    },
  }
}

/**
 * Starts a `node:http` answer and gives its sink: the `respond` of a node exchange.
 *
 * @example
 * ```ts
 * nodeRespond(response)(204, cors).end()
 * ```
 */
export function nodeRespond(
  response: ServerResponse,
): (status: number, headers: Record<string, string>) => Sink {
  return (status, headers) => {
    response.writeHead(status, headers)
    return nodeSink(response)
  }
}
