import type { IncomingMessage } from 'node:http'

/** How long what is left of a refused body may keep arriving, read and dropped, in ms. */
const LINGER_MS = 1000

/**
 * Closes the connection of an answer written before its request's body all arrived (a refused
 * POST), once the answer is out, without losing the answer. A socket closed while the peer still
 * sends gets a reset (RST) for those bytes, and a reset makes the peer's system drop what it had
 * received and not yet read: the answer. So the connection is ended (a FIN after the answer) and
 * what still comes is read and dropped, until the client closes or `LINGER_MS` pass — the
 * lingering close of nginx and Apache — rather than destroyed at once. A client that trickles its
 * body holds the connection one second, not until Node's `requestTimeout`.
 *
 * @example
 * ```ts
 * response.once('finish', () => closeLingering(request))
 * response.writeHead(413, { Connection: 'close' })
 * ```
 */
export function closeLingering(request: IncomingMessage | undefined): void {
  const socket = request?.socket
  if (!request || !socket || socket.destroyed) return
  // node:http ends the socket of a `Connection: close` answer and destroys it as soon as its FIN
  // is out (`destroySoon`): keep it open for reading instead; nothing more is written on it.
  socket.removeListener('finish', socket.destroy)
  request.resume()
  socket.resume()
  if (socket.writable) socket.end()
  const timer = setTimeout(() => socket.destroy(), LINGER_MS)
  timer.unref()
  socket.once('close', () => clearTimeout(timer))
}
