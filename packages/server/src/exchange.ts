import type { IncomingMessage } from 'node:http'

/**
 * What a transport writes an answer to, whatever carries it (`ServerResponse` on `node:http`,
 * a `ReadableStream` body on `fetch`): text in order, with how much the peer has not taken yet,
 * so that the outbox cuts a slow client the same everywhere.
 */
export interface Sink {
  /** Queues `text` after what was written before; never dropped while the sink is open. */
  write(text: string): void
  /** Bytes written and not yet taken by the peer: the flow control's measure. */
  buffered(): number
  /** Calls `listener` each time the peer took some of what was buffered. */
  drained(listener: () => void): void
  /** Writes `text` (if any) and ends the answer. */
  end(text?: string): void
  /** Cuts the answer: the client sees it fail, and resumes from its ids. */
  destroy(): void
}

/** The sink of an answer that cannot be written (the client left, or one was already sent). */
export const NO_SINK: Sink = {
  write() {},
  buffered: () => 0,
  drained() {},
  end() {},
  destroy() {},
}

/** What a runtime adapter knows of a request's connection, for the hooks and the Host check. */
export interface Peer {
  /** The client's address. */
  address: string | null
  /**
   * The address the server received it on: a loopback one turns the default Host check (the
   * DNS-rebinding defence) on, as on `node:http`.
   */
  localAddress?: string
}

/** How reading a send's body ended. */
export type BodyRead =
  /** The body's bytes, all of them. */
  | { bytes: Uint8Array }
  /** What a body parser in front (Express's `express.json()`) left in `request.body`. */
  | { parsed: unknown }
  | {
      /**
       * `too-large`: past the limit (declared or counted); `timeout`: not all there in time;
       * `aborted`: the client went first; `consumed`: middleware read it and left nothing.
       */
      failed: 'too-large' | 'timeout' | 'aborted' | 'consumed'
    }

/**
 * One HTTP request and its answer, as the transports see them: no runtime's own objects. See
 * docs/decisions/server-everywhere.md (Decision 1).
 */
export interface Exchange {
  /** The request method, upper case. */
  readonly method: string
  /** The request URL (only its path and query are read). */
  readonly url: URL
  /** The request headers (Web-standard, lower-case names). */
  readonly headers: Headers
  /** The peer's address, for `onError` reports; `null` when the runtime does not tell. */
  readonly address: string | null
  /**
   * The request as the app's hooks (`authorize`, `onError`, `message` listeners) see it: Node's
   * own `IncomingMessage`, or a view of a Web-standard `Request` (see `requestView`).
   */
  readonly request: IncomingMessage
  /**
   * Reads a send's body: at most `limit` bytes (a larger `Content-Length` is refused before
   * reading), within `timeout` ms (0: no limit in time). Settles once, never throws.
   */
  readBody(limit: number, timeout: number): Promise<BodyRead>
  /** Aborted when the client went away (or the answer was cut). */
  readonly closed: AbortSignal
  /**
   * Starts the answer with its status and headers; what follows goes to the returned sink. With
   * `headNow`, the head goes out at once though the body comes later (a held long poll). A
   * second answer cuts the first.
   */
  respond(status: number, headers: Record<string, string>, headNow?: boolean): Sink
}
