import { LiveDataError } from '@livedata/core'
import type { Socket } from 'socket.io-client'

/**
 * Which sends wait for the server's acknowledgement: none (`false`, the default), all (`true`), or
 * those whose event the function accepts.
 */
export type AckOption = boolean | ((event: string) => boolean)

/**
 * Emits one send on a connected socket. Without an acknowledgement it resolves once emitted,
 * as `socket.emit` does; with one it resolves with the server's answer, or rejects after `timeout`.
 * A socket that is not connected rejects at once: socket.io would buffer the emit without bound,
 * while the core's queue (bounded, with a deadline) is where sends wait for a connection.
 */
export function emitSend(
  socket: Socket,
  event: string,
  data: unknown,
  ack: AckOption,
  timeout: number,
): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    if (!socket.connected) {
      return reject(new LiveDataError('ERR_SEND_FAILED', 'The socket.io socket is not open'))
    }
    if (!(typeof ack === 'function' ? ack(event) : ack)) {
      socket.emit(event, data)
      return resolve(undefined)
    }
    socket.timeout(timeout).emit(event, data, (error: Error | null, answer?: unknown) => {
      if (!error) return resolve(answer)
      // socket.io fails an unanswered send on a timeout, and at once on a disconnect.
      reject(
        socket.connected
          ? new LiveDataError('ERR_SEND_TIMEOUT', `No acknowledgement within ${timeout} ms`)
          : new LiveDataError(
              'ERR_SEND_FAILED',
              'The socket closed before the server acknowledged',
              {
                cause: error,
              },
            ),
      )
    })
  })
}
