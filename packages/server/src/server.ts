import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { Channel } from './channel'
import { LiveServerError } from './errors'
import {
  type AuthorizeContext,
  type Hub,
  isChannelName,
  isEventName,
  type LiveConnection,
  type MessageContext,
  SERVER_TRANSPORTS,
  type ServerTransport,
} from './hub'
import { createIdGenerator } from './ids'
import { createOriginCheck, type OriginOption } from './origin'
import { handleHttpSend, sendError } from './sends'
import { IFRAME_NONCE, serveIframe } from './transports/iframe'
import { serveLongPoll, servePoll } from './transports/poll'
import { serveSse } from './transports/sse'
import { createWebSocketEndpoint } from './transports/websocket'

export type { AuthorizeContext, MessageContext, ServerTransport }

/** Options of {@link createLiveServer}. */
export interface LiveServerOptions {
  /** The base path; channels live at `<path>/<channel>`, the WebSocket at `<path>`. Default `/live`. */
  path?: string
  /** The transports offered. Default: all five. Clients fall back among what is offered. */
  transports?: readonly ServerTransport[]
  /** Messages kept per channel for resume. Default 1000. */
  history?: number
  /** Interval of heartbeats in ms; 0 turns them off. Default 15 000. */
  heartbeat?: number
  /** The reconnection delay suggested to clients (`retry:`), in ms. Default 1000. */
  retry?: number
  /** How long a long poll is held before it is answered empty, in ms. Default 25 000. */
  longPollTimeout?: number
  /** Browser origins allowed to connect. Default: the server's own origin only. */
  origins?: OriginOption
  /** The largest payload, published or sent by a client, in bytes. Default 64 KiB. */
  maxPayload?: number
  /**
   * Bytes a connection's socket may hold before further messages wait (as references) in its
   * backlog; a connection more than a whole history (at least 1,000 messages) behind is closed
   * and resumes later. Default 1 MiB.
   */
  maxBufferedBytes?: number
  /** Decides per request whether it may subscribe to or send on a channel. Default: allow. */
  authorize?: (context: AuthorizeContext) => boolean | Promise<boolean>
}

/** Options of `live.publish`. */
export interface PublishOptions {
  /** The event name; omitted, the message is an unnamed (`message`) event. */
  event?: string
}

/** Receives the messages clients send. May be async: the send is acknowledged once it settles. */
export type MessageListener = (channel: string, data: unknown, context: MessageContext) => unknown

/** A live server; see {@link createLiveServer}. */
export interface LiveServer {
  /** The base path, without a trailing slash. */
  readonly path: string
  /** The transports this server offers. */
  readonly transports: readonly ServerTransport[]
  /**
   * Serves the live routes and the WebSocket upgrade on `server`, in front of the request listeners it already has, which
   * still get every request outside `path`. Listeners added after `attach` see every request,
   * those under `path` included (after the live server took them).
   */
  attach(server: Server): this
  /**
   * Handles `request` if it is under `path`, for use inside another framework's middleware.
   * Returns `false` (and touches nothing) otherwise.
   */
  handle(request: IncomingMessage, response: ServerResponse): boolean
  /** Publishes `data` (anything JSON can hold) on `channel`; returns the message id. */
  publish(channel: string, data: unknown, options?: PublishOptions): string
  /** Listens to the messages clients send. */
  on(event: 'message', listener: MessageListener): this
  /** Stops listening. */
  off(event: 'message', listener: MessageListener): this
  /** Ends every connection and detaches from the HTTP servers. */
  close(): Promise<void>
  /**
   * What the server holds now, for metrics and health checks.
   * @example
   * ```ts
   * setInterval(() => metrics.gauge('live.connections', live.stats().connections), 10_000)
   * ```
   */
  stats(): { channels: number; connections: number }
}

function checkChannel(channel: unknown): asserts channel is string {
  if (!isChannelName(channel)) {
    throw new LiveServerError(
      'ERR_INVALID_CHANNEL',
      `Channel names are 1 to 256 characters of letters, digits and _ . : @ ~ -, got ${JSON.stringify(channel)}`,
    )
  }
}

function checkEvent(event: unknown): string | undefined {
  if (event === undefined || event === 'message') return undefined
  if (!isEventName(event) || event.startsWith('livedata.')) {
    throw new LiveServerError(
      'ERR_INVALID_EVENT',
      `Event names are 1 to 256 characters without line breaks and must not start with "livedata.", got ${JSON.stringify(event)}`,
    )
  }
  return event
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new LiveServerError(
      'ERR_INVALID_OPTIONS',
      `${name} must be a finite number >= 0, got ${String(value)}`,
    )
  }
  return Math.floor(value)
}

/** The path and query of a request target; `null` for a target no URL parser accepts. */
function parseTarget(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://localhost')
  } catch {
    return null
  }
}

/** The id a request resumes after. One we never issued is never found: the client gets a gap. */
function resumeId(raw: string | null | undefined): string | null {
  return raw === null || raw === undefined || raw === '' ? null : raw.slice(0, 64)
}

const ORIGIN_PATTERN = /^https?:\/\/[^/?#\s]+$/i

/**
 * Creates a live server: channels of JSON messages, each message with an id, a bounded history
 * per channel for resume, heartbeats and Origin checks, served over WebSocket (at `<path>`),
 * Server-Sent Events, long polling, polling and an iframe stream (at `<path>/<channel>`);
 * clients send with a POST to the channel or over their WebSocket.
 *
 * @example
 * ```ts
 * const live = createLiveServer({ path: '/live', origins: ['https://app.example.com'] })
 * live.attach(httpServer)
 * setInterval(() => live.publish('prices', { AAPL: 191.2 }), 250)
 * live.on('message', (channel, data) => console.log(channel, data))
 * ```
 */
export function createLiveServer(options: LiveServerOptions = {}): LiveServer {
  const path = (options.path ?? '/live').replace(/\/+$/, '')
  if (!path.startsWith('/')) {
    throw new LiveServerError('ERR_INVALID_OPTIONS', `path must start with "/", got "${path}"`)
  }
  const transports = options.transports ?? SERVER_TRANSPORTS
  for (const transport of transports) {
    if (!SERVER_TRANSPORTS.includes(transport)) {
      throw new LiveServerError(
        'ERR_INVALID_OPTIONS',
        `Unknown transport "${transport}"; the server offers ${SERVER_TRANSPORTS.join(', ')}`,
      )
    }
  }
  const offered = new Set(transports)
  const historySize = positive('history', options.history, 1000)
  const heartbeat = positive('heartbeat', options.heartbeat, 15_000)
  const originAllowed = createOriginCheck(options.origins)
  const authorize = options.authorize
  const nextId = createIdGenerator()
  const channels = new Map<string, Channel>()
  const messageListeners = new Set<MessageListener>()
  const attached = new Map<Server, () => void>()
  let closed = false

  const hub: Hub = {
    settings: {
      retry: positive('retry', options.retry, 1000),
      maxPayload: positive('maxPayload', options.maxPayload, 64 * 1024),
      maxBufferedBytes: positive('maxBufferedBytes', options.maxBufferedBytes, 1024 * 1024),
      longPollTimeout: positive('longPollTimeout', options.longPollTimeout, 25_000),
      // A client more than a whole history behind could not resume without a gap anyway.
      maxBacklog: Math.max(historySize, 1000),
    },
    connections: new Set<LiveConnection>(),
    channel(name) {
      let channel = channels.get(name)
      if (!channel) {
        channel = new Channel(name, historySize, (idle) => {
          if (channels.get(idle.name) === idle) channels.delete(idle.name)
        })
        channels.set(name, channel)
      }
      return channel
    },
    peek: (name) => channels.get(name) ?? new Channel(name, 0),
    async authorize(context) {
      if (!authorize) return true
      try {
        return (await authorize(context)) === true
      } catch {
        return false
      }
    },
    async receive(channel, data, context) {
      // Every listener runs, even after one failed; async ones are awaited, so a client's send is
      // acknowledged only once the app has taken it, and a rejection is never left unhandled.
      let failure: unknown = null
      await Promise.all(
        [...messageListeners].map(async (listener) => {
          try {
            await listener(channel, data, context)
          } catch (error) {
            console.error('[@livedata/server] a message listener failed:', error)
            failure ??= error
          }
        }),
      )
      if (failure !== null) throw failure
    },
  }
  const webSocket = createWebSocketEndpoint(hub)

  const heartbeatTimer =
    heartbeat > 0
      ? setInterval(() => {
          for (const connection of hub.connections) connection.heartbeat()
        }, heartbeat)
      : null
  heartbeatTimer?.unref()

  const anyOrigin = options.origins === '*'
  const corsHeaders = (request: IncomingMessage): Record<string, string> => {
    const origin = request.headers.origin
    if (origin === undefined) return {}
    // Any origin may read, so none gets the user's cookies: '*' and no credentials.
    if (anyOrigin) {
      return { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'ETag' }
    }
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': 'ETag',
      Vary: 'Origin',
    }
  }

  const notOffered = (response: ServerResponse, transport: string, cors: Record<string, string>) =>
    sendError(
      response,
      404,
      'ERR_TRANSPORT',
      `This server does not offer ${transport}; it offers ${transports.join(', ')}`,
      cors,
    )

  const subscribe = async (
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    channel: string,
    cors: Record<string, string>,
  ): Promise<void> => {
    const query = url.searchParams
    const accept = request.headers.accept ?? ''
    const transport =
      query.get('transport') ?? (accept.includes('application/json') ? 'polling' : 'sse')
    if (!offered.has(transport as ServerTransport) || transport === 'websocket') {
      return notOffered(response, transport, cors)
    }
    let pageOrigin = ''
    if (transport === 'iframe') {
      // Navigations carry no Origin header: the page names its origin, and it is checked the same.
      pageOrigin = query.get('origin') ?? ''
      const nonce = query.get('nonce') ?? ''
      // Only an origin already in its normal form: what is checked is what is used.
      if (
        !ORIGIN_PATTERN.test(pageOrigin) ||
        normalizeOrigin(pageOrigin) !== pageOrigin ||
        !IFRAME_NONCE.test(nonce)
      ) {
        return sendError(
          response,
          400,
          'ERR_INVALID_REQUEST',
          'The iframe transport needs origin=<page origin> and nonce=<8 to 64 of A-Z a-z 0-9 _ ->',
        )
      }
      if (!originAllowed(pageOrigin, request)) {
        return sendError(response, 403, 'ERR_ORIGIN', `Origin ${pageOrigin} is not allowed`)
      }
    }
    if (!(await hub.authorize({ channel, action: 'subscribe', request }))) {
      return sendError(
        response,
        403,
        'ERR_FORBIDDEN',
        `Access to "${channel}" is not allowed`,
        cors,
      )
    }
    // The client may have gone while authorize ran: subscribing it now would leak it forever.
    if (response.destroyed || request.socket.destroyed) return
    const header = request.headers['last-event-id']
    const lastEventId = resumeId(typeof header === 'string' ? header : query.get('lastEventId'))
    // A short poll subscribes to nothing: it must not create a channel for a name it made up.
    const target = transport === 'polling' ? hub.peek(channel) : hub.channel(channel)
    const { settings, connections } = hub
    switch (transport) {
      case 'sse':
        return serveSse(response, target, lastEventId, settings, cors, connections)
      case 'polling':
        return servePoll(request, response, target, lastEventId, settings, cors)
      case 'long-polling':
        return serveLongPoll(response, target, lastEventId, settings, cors, connections)
      default:
        return serveIframe(
          response,
          target,
          lastEventId,
          pageOrigin,
          query.get('nonce') as string,
          settings,
          connections,
        )
    }
  }

  const route = async (
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    rest: string,
  ): Promise<void> => {
    const cors = corsHeaders(request)
    const origin = request.headers.origin
    if (!originAllowed(origin, request)) {
      return sendError(
        response,
        403,
        'ERR_ORIGIN',
        `Origin ${origin} is not allowed; add it to the server's origins`,
      )
    }
    let channel: string
    try {
      channel = decodeURIComponent(rest)
      checkChannel(channel)
    } catch (error) {
      const message = error instanceof LiveServerError ? error.message : 'Malformed channel name'
      return sendError(response, 404, 'ERR_INVALID_CHANNEL', message, cors)
    }
    switch (request.method) {
      case 'OPTIONS': {
        response.writeHead(204, {
          ...cors,
          'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
          'Access-Control-Allow-Headers':
            request.headers['access-control-request-headers'] ?? 'Content-Type',
          'Access-Control-Max-Age': '600',
        })
        response.end()
        return
      }
      case 'POST':
        return handleHttpSend(hub, request, response, channel, cors)
      case 'GET':
        return subscribe(request, response, url, channel, cors)
      default:
        return sendError(
          response,
          405,
          'ERR_METHOD',
          `${request.method} is not supported; use GET to receive and POST to send`,
          { ...cors, Allow: 'GET, POST, OPTIONS' },
        )
    }
  }

  /** Refuses an upgrade with a plain HTTP answer on the raw socket. */
  const refuseUpgrade = (socket: Duplex, status: number, reason: string): void => {
    const codes: Record<number, string> = {
      400: 'ERR_INVALID_REQUEST',
      403: 'ERR_ORIGIN',
      404: 'ERR_NOT_FOUND',
      503: 'ERR_CLOSED',
    }
    const body = JSON.stringify({ error: { code: codes[status], message: reason } })
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  }

  const live: LiveServer = {
    path,
    transports,
    handle(request, response) {
      const url = parseTarget(request.url)
      const prefix = `${path}/`
      if (url === null) {
        sendError(response, 400, 'ERR_INVALID_REQUEST', 'The request target is not a valid URL')
        return true
      }
      if (!url.pathname.startsWith(prefix)) return false
      if (closed) {
        sendError(response, 503, 'ERR_CLOSED', 'The live server is closed')
        return true
      }
      route(request, response, url, url.pathname.slice(prefix.length)).catch((error: unknown) => {
        console.error('[@livedata/server] request failed:', error)
        sendError(response, 500, 'ERR_INTERNAL', 'Internal error')
      })
      return true
    },
    attach(server) {
      if (closed)
        throw new LiveServerError('ERR_CLOSED', 'Cannot attach: the live server is closed')
      if (attached.has(server)) return live
      const others = server.listeners('request') as Array<
        (request: IncomingMessage, response: ServerResponse) => void
      >
      server.removeAllListeners('request')
      const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
        if (live.handle(request, response)) return
        if (others.length === 0) {
          sendError(response, 404, 'ERR_NOT_FOUND', `Nothing at ${request.url}`)
          return
        }
        for (const other of others) other.call(server, request, response)
      }
      const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
        // Node takes its own error handler off the socket before 'upgrade': without one, a client
        // that resets the connection while it is refused would crash the process.
        socket.on('error', () => socket.destroy())
        const pathname = parseTarget(request.url)?.pathname
        if (pathname === undefined) return refuseUpgrade(socket, 400, 'Bad Request')
        if (pathname !== path && pathname !== `${path}/`) {
          // Another upgrade handler (a dev server's HMR, say) may own this path.
          if (server.listenerCount('upgrade') === 1) refuseUpgrade(socket, 404, 'Not Found')
          return
        }
        if (closed) return refuseUpgrade(socket, 503, 'Service Unavailable')
        if (!offered.has('websocket')) return refuseUpgrade(socket, 404, 'Not Found')
        if (!originAllowed(request.headers.origin, request)) {
          return refuseUpgrade(socket, 403, 'Forbidden')
        }
        webSocket.upgrade(request, socket, head)
      }
      server.on('request', onRequest)
      server.on('upgrade', onUpgrade)
      attached.set(server, () => {
        server.removeListener('request', onRequest)
        server.removeListener('upgrade', onUpgrade)
        for (const other of others) server.on('request', other)
      })
      return live
    },
    publish(channel, data, publishOptions = {}) {
      if (closed)
        throw new LiveServerError('ERR_CLOSED', 'Cannot publish: the live server is closed')
      checkChannel(channel)
      const event = checkEvent(publishOptions.event)
      let json: string | undefined
      try {
        json = JSON.stringify(data)
      } catch (cause) {
        throw new LiveServerError(
          'ERR_INVALID_PAYLOAD',
          `The payload for "${channel}" cannot be serialized to JSON`,
          { cause },
        )
      }
      if (json === undefined) {
        throw new LiveServerError(
          'ERR_INVALID_PAYLOAD',
          `The payload for "${channel}" is ${typeof data}, which JSON cannot hold`,
        )
      }
      const { maxPayload } = hub.settings
      // Cheap length first; only a payload that might be too large is measured in bytes.
      if (json.length * 3 > maxPayload && Buffer.byteLength(json) > maxPayload) {
        throw new LiveServerError(
          'ERR_PAYLOAD_TOO_LARGE',
          `The payload for "${channel}" is ${Buffer.byteLength(json)} bytes, over maxPayload (${maxPayload})`,
        )
      }
      const id = nextId()
      hub.channel(channel).publish({ id, channel, event, json })
      return id
    },
    on(event, listener) {
      if (event !== 'message' || typeof listener !== 'function') {
        throw new LiveServerError(
          'ERR_INVALID_OPTIONS',
          `live.on takes 'message' and a function, got ${String(event)}`,
        )
      }
      messageListeners.add(listener)
      return live
    },
    stats() {
      return { channels: channels.size, connections: hub.connections.size }
    },
    off(_event, listener) {
      messageListeners.delete(listener)
      return live
    },
    async close() {
      if (closed) return
      closed = true
      if (heartbeatTimer) clearInterval(heartbeatTimer)
      for (const connection of hub.connections) connection.close()
      hub.connections.clear()
      webSocket.close()
      for (const detach of attached.values()) detach()
      attached.clear()
    },
  }
  return live
}

function normalizeOrigin(origin: string): string | null {
  try {
    return new URL(origin).origin
  } catch {
    return null
  }
}
