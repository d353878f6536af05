// What the fan-out section (fan-out.ts) says to its server process (fan-out-server.ts) and its
// client process (fan-out-clients.ts) over their IPC channels.

/** Which server a fan-out server process runs. */
export type FanOutServerKind = 'livedata' | 'socket.io' | 'ws'

/** How a fan-out client process connects each of its connections. */
export type FanOutClientKind =
  | 'ws'
  | 'sse'
  | 'livedata websocket'
  | 'livedata sse'
  | 'livedata long-polling'
  | 'socket.io websocket'
  | 'socket.io polling'

/** The small JSON message every fan-out publish sends. */
export interface FanOutPayload {
  symbol: string
  price: number
  seq: number
  /** When the server called publish, by its {@link epochNow}. */
  t: number
}

/** From the bench to a fan-out process (the server answers some, the clients others). */
export type FanOutCommand =
  | { type: 'clock'; id: number }
  /** Server: heap used and RSS after full garbage collections. */
  | { type: 'memory'; id: number }
  /** Server: the TCP connections its HTTP server holds. */
  | { type: 'connections'; id: number }
  /** Server: publishes message `seq` once, to every client. */
  | { type: 'publish'; id: number; seq: number }
  /** Clients: opens `count` more connections; answers once each one is subscribed. */
  | { type: 'open'; id: number; count: number }
  /** Clients: answers once every open connection has message `seq`. */
  | { type: 'expect'; id: number; seq: number }
  /** Clients: closes every connection. */
  | { type: 'close'; id: number }

/** From a fan-out process to the bench. */
export type FanOutReply =
  | { type: 'ready'; port: number }
  | { type: 'clock'; id: number; now: number }
  | { type: 'memory'; id: number; heapUsed: number; rss: number }
  | { type: 'connections'; id: number; count: number }
  /** `t`: when publish was called, by the server's clock. */
  | { type: 'published'; id: number; t: number }
  | { type: 'opened'; id: number }
  /** `last`: when the last connection had it, by the client process's clock. */
  | { type: 'arrived'; id: number; last: number }
  | { type: 'closed'; id: number }
  /** A command that could not be done. */
  | { type: 'failed'; id: number; error: string }
