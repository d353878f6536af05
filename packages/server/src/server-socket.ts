/**
 * A client's WebSocket as the server's connection sees it, whatever runtime holds it: `ws` on
 * Node, Bun's `ServerWebSocket`, Deno's `WebSocket`. Each runtime adapter is a few lines that
 * map its socket to this, and its events to {@link SocketEvents}. See
 * docs/decisions/server-everywhere.md (Decision 2).
 */
export interface ServerSocket {
  /** Whether frames can be sent now. */
  isOpen(): boolean
  /** Sends a text frame. */
  send(text: string): void
  /** Bytes sent and not yet taken by the network: the flow control's measure. */
  bufferedAmount(): number
  /**
   * Stops reading the peer's frames until `resume` (backpressure: they wait in the peer's
   * socket, not in our memory). A runtime that cannot pause reading does nothing here: the
   * inbox's hard limit then cuts a peer that floods.
   */
  pause(): void
  /** Reads the peer's frames again. */
  resume(): void
  /**
   * Sends a protocol ping; `false` when the runtime pings on its own and closes a peer that
   * does not answer (Deno's `idleTimeout`), so there are no pongs to count.
   */
  ping(): boolean
  /** Starts the closing handshake. `reason` is at most 123 bytes. */
  close(code: number, reason: string): void
  /** Ends the socket at once. */
  terminate(): void
}

/** What a runtime adapter tells the connection behind a socket. */
export interface SocketEvents {
  /** A frame came: its text, or `null` for a binary frame; `size` in bytes. */
  message(text: string | null, size: number): void
  /** The peer answered a ping. */
  pong(): void
  /** The socket closed or failed. */
  closed(): void
}

const encoder = new TextEncoder()

/**
 * A text frame's size in bytes for the inbox's limits: its length in characters unless it might
 * be near `limit` (UTF-8 takes at most 3 bytes a character), and only then measured.
 *
 * @example
 * ```ts
 * sizeOf('{"type":"subscribe"}', 4096) // 20
 * ```
 */
export function sizeOf(text: string, limit: number): number {
  return text.length * 3 > limit ? encoder.encode(text).length : text.length
}
