import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { refusalOf, type Verdict } from './authorization'
import { backlogSize, Channel, type SubscribeOptions } from './channel'
import { LiveServerError, type LiveServerErrorCode } from './errors'
import { headersOf } from './headers'
import { helloHeaderNames } from './hello-headers'
import { createHostCheck, type HostOption, hostName } from './hosts'
import { errorBody, sendError } from './http-errors'
import {
  type AuthorizeContext,
  type Hub,
  isChannelName,
  isEventName,
  type LiveConnection,
  type MessageContext,
  type RequestTransport,
  SERVER_TRANSPORTS,
  type ServerTransport,
} from './hub'
import { createIdGenerator } from './ids'
import { createOriginCheck, type OriginOption, ownOrigin } from './origin'
import { cut, quote } from './quote'
import { type ErrorContext, type ErrorHandler, safeReporter } from './report'
import { handleHttpSend } from './sends'
import { IFRAME_NONCE, serveIframe } from './transports/iframe'
import { serveLongPoll, servePoll } from './transports/poll'
import { serveSse } from './transports/sse'
import { createWebSocketEndpoint } from './transports/websocket'

export type { AuthorizeContext, MessageContext, RequestTransport, ServerTransport }

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
  /**
   * `Host` names the server answers for: the DNS-rebinding defence. By default a request that
   * arrived on a loopback address needs a loopback host name (`localhost`, `127.0.0.1`, …) or
   * the host of an origin in `origins`; others are not checked. Refusals are `403 ERR_HOST`.
   * A proxy on the same machine that forwards another `Host` needs it set.
   * @example
   * ```ts
   * createLiveServer({ allowedHosts: ['app.example.com', /\.example\.com$/] })
   * ```
   */
  allowedHosts?: HostOption
  /** The largest payload, published or sent by a client, in bytes. Default 64 KiB. */
  maxPayload?: number
  /**
   * Bytes a connection's socket may hold before further messages wait (as references) in its
   * backlog; a connection more than a whole history (at least 1,000 messages) behind is closed
   * and resumes later. Default 1 MiB.
   */
  maxBufferedBytes?: number
  /**
   * How long a send's body (`POST`) may take to arrive, in ms; 0 turns the limit off. A slower
   * one is answered `408 ERR_BODY_TIMEOUT` and its connection closed. Default 10 000.
   * @example
   * ```ts
   * createLiveServer({ bodyTimeout: 5_000 }) // mobile clients on slow links get 5 s
   * ```
   */
  bodyTimeout?: number
  /**
   * Decides per request whether it may subscribe to or send on a channel; only `true` allows,
   * anything else is `403 ERR_FORBIDDEN` (final: the client stops). One that throws or rejects
   * (a database down) is `503 ERR_AUTHORIZE` (the client retries later) and is reported to
   * `onError` as the server's fault. Default: allow.
   * @example
   * ```ts
   * createLiveServer({
   *   authorize: async ({ channel, headers }) =>
   *     (await verify(headers.authorization))?.channels.includes(channel) ?? false,
   * })
   * ```
   */
  authorize?: (context: AuthorizeContext) => boolean | Promise<boolean>
  /**
   * Header names a WebSocket client may send in its `hello` frame (browsers cannot put headers
   * on an upgrade), case-insensitive. Default `['authorization']`. `authorize` and `message`
   * listeners see them only where the upgrade request did not carry the header: a header on the
   * upgrade always wins. Never list an identity header that a proxy in front sets
   * (`x-forwarded-user`, `x-forwarded-for`, …): where the proxy did not set it, any client could.
   * Names the browser controls (`host`, `origin`, `cookie`, `sec-*`, …) are refused. Hello
   * headers outside the list are ignored and reported (once per name).
   * @example
   * ```ts
   * createLiveServer({ helloHeaders: ['authorization', 'x-tenant'] })
   * ```
   */
  helloHeaders?: readonly string[]
  /**
   * Receives what went wrong while serving: a client's fault (`context.client`: a bad frame, a
   * refused origin or host, an aborted or late body) or the server's own (a `message` listener
   * or `authorize` threw). Default: {@link consoleReporter}, one line per report, at most 20
   * client faults and 20 server faults per 10 s (each kind its own budget), a stack only for
   * the server's own faults. It must not throw.
   * @example
   * ```ts
   * createLiveServer({
   *   onError: (error, { client, channel }) =>
   *     logger[client ? 'info' : 'error']({ code: error.code, channel, err: error }),
   * })
   * ```
   */
  onError?: (error: LiveServerError, context: ErrorContext) => void
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
   * Returns `false` (and touches nothing) otherwise, a request target no URL parser accepts
   * included when it does not start with `path`.
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
      `Channel names are 1 to 256 characters of letters, digits and _ . : @ ~ -, got ${quote(channel)}`,
    )
  }
}

function checkEvent(event: unknown): string | undefined {
  if (event === undefined || event === 'message') return undefined
  if (!isEventName(event) || event.startsWith('livedata.')) {
    throw new LiveServerError(
      'ERR_INVALID_EVENT',
      `Event names are 1 to 256 characters without line breaks and must not start with "livedata.", got ${quote(event)}`,
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

/** The name of a refused host, for its message: the parsed name, else the header cut short. */
function describeHost(header: string | undefined): string {
  if (header === undefined) return 'none'
  return quote(hostName(header) ?? header)
}

const ORIGIN_PATTERN = /^https?:\/\/[^/?#\s]+$/i
const TARGET_REFUSAL = 'The request target is not a valid URL'

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
  const hostAllowed = createHostCheck(options.allowedHosts, options.origins)
  const authorize = options.authorize
  const helloHeaders = helloHeaderNames(options.helloHeaders)
  const report: ErrorHandler = safeReporter(options.onError)
  const nextId = createIdGenerator()
  const channels = new Map<string, Channel>()
  const messageListeners = new Set<MessageListener>()
  const attached = new Map<Server, () => void>()
  let closed = false

  const hub: Hub = {
    settings: {
      retry: positive('retry', options.retry, 1000),
      history: historySize,
      bodyTimeout: positive('bodyTimeout', options.bodyTimeout, 10_000),
      maxPayload: positive('maxPayload', options.maxPayload, 64 * 1024),
      maxBufferedBytes: positive('maxBufferedBytes', options.maxBufferedBytes, 1024 * 1024),
      longPollTimeout: positive('longPollTimeout', options.longPollTimeout, 25_000),
      // A client more than a whole history behind could not resume without a gap anyway.
      maxBacklog: Math.max(historySize, 1000),
      helloHeaders,
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
    async authorize(context): Promise<Verdict> {
      if (!authorize) return 'allowed'
      try {
        return (await authorize(context)) === true ? 'allowed' : 'forbidden'
      } catch (cause) {
        const { channel, action, transport, request } = context
        const error = new LiveServerError(
          'ERR_AUTHORIZE',
          `authorize threw for ${action} on "${channel}" (${transport}); the client was told to try again later`,
          { cause },
        )
        report(error, { client: false, channel, transport, request })
        return 'failed'
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
          } catch (cause) {
            const { transport, request } = context
            const error = new LiveServerError(
              'ERR_LISTENER',
              `a message listener failed on "${channel}"`,
              { cause },
            )
            report(error, { client: false, channel, transport, request })
            failure ??= cause
          }
        }),
      )
      if (failure !== null) throw failure
    },
    report,
  }
  const webSocket = createWebSocketEndpoint(hub)

  const heartbeatTimer =
    heartbeat > 0
      ? setInterval(() => {
          for (const connection of hub.connections) {
            try {
              connection.heartbeat()
            } catch (cause) {
              // One broken connection must not stop the others' heartbeats, nor the process.
              connection.close()
              report(new LiveServerError('ERR_INTERNAL', 'a heartbeat failed', { cause }), {
                client: false,
              })
            }
          }
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
      `This server does not offer ${quote(transport)}; it offers ${transports.join(', ')}`,
      cors,
    )

  /** Answers an error that is the client's fault, and reports it. */
  const refuse = (
    response: ServerResponse,
    status: number,
    code: LiveServerErrorCode,
    message: string,
    context: Omit<ErrorContext, 'client'>,
    headers: Record<string, string> = {},
  ): void => {
    report(new LiveServerError(code, message), { client: true, ...context })
    sendError(response, status, code, message, headers)
  }

  const hostRefusal = (request: IncomingMessage): string =>
    `Host ${describeHost(request.headers.host)} is not allowed; add it to the server's allowedHosts (a proxy on this machine that forwards the Host needs it too)`
  const originRefusal = (origin: string): string =>
    `Origin ${quote(origin)} is not allowed; add it to the server's origins`

  const subscribe = async (
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    channel: string,
    cors: Record<string, string>,
  ): Promise<void> => {
    const query = url.searchParams
    const accept = request.headers.accept ?? ''
    const asked =
      query.get('transport') ?? (accept.includes('application/json') ? 'polling' : 'sse')
    if (!offered.has(asked as ServerTransport) || asked === 'websocket') {
      return notOffered(response, asked, cors)
    }
    const transport = asked as Exclude<ServerTransport, 'websocket'>
    const context = { transport, channel, request }
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
        return refuse(
          response,
          400,
          'ERR_INVALID_REQUEST',
          'The iframe transport needs origin=<page origin> and nonce=<8 to 64 of A-Z a-z 0-9 _ ->',
          context,
        )
      }
      if (!originAllowed(pageOrigin, request)) {
        return refuse(response, 403, 'ERR_ORIGIN', originRefusal(pageOrigin), context)
      }
    }
    const headers = headersOf(request)
    const verdict = await hub.authorize({ ...context, action: 'subscribe', headers })
    if (verdict !== 'allowed') {
      const refusal = refusalOf(verdict, 'subscribe', channel, hub.settings.retry)
      const { status, code, message, headers: extra } = refusal
      return sendError(response, status, code, message, { ...cors, ...extra })
    }
    // The client may have gone while authorize ran: subscribing it now would leak it forever.
    if (response.destroyed || request.socket.destroyed) return
    const header = request.headers['last-event-id']
    const lastEventId = resumeId(typeof header === 'string' ? header : query.get('lastEventId'))
    // A backlog is for a subscriber without an id; history caps it.
    const replay = lastEventId === null ? backlogSize(query.get('replay')) : 0
    const start: SubscribeOptions = { lastEventId, replay }
    const { settings, connections } = hub
    switch (transport) {
      case 'sse':
        return serveSse(response, hub.channel(channel), start, settings, cors, connections)
      case 'polling':
        // A poll subscribes to nothing: it must not create a channel for a name it made up.
        return servePoll(request, response, hub.peek(channel), start, settings, cors)
      case 'long-polling':
        return serveLongPoll(
          response,
          hub.peek(channel),
          () => hub.channel(channel),
          start,
          settings,
          cors,
          connections,
        )
      default:
        return serveIframe(
          response,
          hub.channel(channel),
          start,
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
    const origin = request.headers.origin
    // The Host first: a rebinding page passes the Origin check as its "own" origin.
    if (!hostAllowed(request)) {
      // An allowed cross-origin page (reaching the server by a name it does not know) may read
      // why, or its client retries forever. Not a page whose Origin is the Host itself: that is
      // what a rebinding page looks like, and same-origin it needs no CORS anyway.
      const readable =
        origin !== undefined && !ownOrigin(origin, request) && originAllowed(origin, request)
          ? corsHeaders(request)
          : {}
      return refuse(response, 403, 'ERR_HOST', hostRefusal(request), { request }, readable)
    }
    const cors = corsHeaders(request)
    if (origin !== undefined && !originAllowed(origin, request)) {
      // With CORS headers, so that the page can read why; the body holds nothing else.
      const readable = {
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Credentials': 'true',
        Vary: 'Origin',
      }
      return refuse(response, 403, 'ERR_ORIGIN', originRefusal(origin), { request }, readable)
    }
    let channel: string
    try {
      channel = decodeURIComponent(rest)
      checkChannel(channel)
    } catch (error) {
      const message =
        error instanceof LiveServerError ? error.message : `Malformed channel name ${quote(rest)}`
      return refuse(response, 404, 'ERR_INVALID_CHANNEL', message, { request }, cors)
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
        return refuse(
          response,
          405,
          'ERR_METHOD',
          `${quote(request.method)} is not supported; use GET to receive and POST to send`,
          { channel, request },
          { ...cors, Allow: 'GET, POST, OPTIONS' },
        )
    }
  }

  const STATUS_TEXT: Record<number, string> = {
    400: 'Bad Request',
    403: 'Forbidden',
    404: 'Not Found',
    503: 'Service Unavailable',
  }
  /** Refuses an upgrade with a plain HTTP answer on the raw socket. */
  const refuseUpgrade = (
    socket: Duplex,
    status: number,
    code: LiveServerErrorCode,
    message: string,
  ): void => {
    const body = errorBody(code, message)
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  }

  /** Serves an upgrade at the base path, or refuses it. */
  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const context = { transport: 'websocket' as const, request }
    if (closed) return refuseUpgrade(socket, 503, 'ERR_CLOSED', 'The live server is closed')
    if (!offered.has('websocket')) {
      return refuseUpgrade(
        socket,
        404,
        'ERR_TRANSPORT',
        `This server does not offer websocket; it offers ${transports.join(', ')}`,
      )
    }
    if (!hostAllowed(request)) {
      const message = hostRefusal(request)
      report(new LiveServerError('ERR_HOST', message), { client: true, ...context })
      return refuseUpgrade(socket, 403, 'ERR_HOST', message)
    }
    const origin = request.headers.origin
    if (origin !== undefined && !originAllowed(origin, request)) {
      const message = originRefusal(origin)
      report(new LiveServerError('ERR_ORIGIN', message), { client: true, ...context })
      return refuseUpgrade(socket, 403, 'ERR_ORIGIN', message)
    }
    webSocket.upgrade(request, socket, head)
  }

  const live: LiveServer = {
    path,
    transports,
    handle(request, response) {
      const url = parseTarget(request.url)
      const prefix = `${path}/`
      if (url === null) {
        // Only a target that names our path is ours to refuse; the app may know what to do
        // with any other.
        if (!request.url?.startsWith(prefix)) return false
        refuse(response, 400, 'ERR_INVALID_REQUEST', TARGET_REFUSAL, { request })
        return true
      }
      if (!url.pathname.startsWith(prefix)) return false
      if (closed) {
        sendError(response, 503, 'ERR_CLOSED', 'The live server is closed')
        return true
      }
      const failed = (cause: unknown): void => {
        const error = new LiveServerError('ERR_INTERNAL', `serving ${cut(url.pathname)} failed`, {
          cause,
        })
        report(error, { client: false, request })
        sendError(response, 500, 'ERR_INTERNAL', 'Internal error')
      }
      try {
        route(request, response, url, url.pathname.slice(prefix.length)).catch(failed)
      } catch (cause) {
        failed(cause)
      }
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
          if (parseTarget(request.url) === null) {
            refuse(response, 400, 'ERR_INVALID_REQUEST', TARGET_REFUSAL, { request })
          } else {
            sendError(response, 404, 'ERR_NOT_FOUND', `Nothing at ${quote(request.url)}`)
          }
          return
        }
        for (const other of others) other.call(server, request, response)
      }
      const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
        // Node takes its own error handler off the socket before 'upgrade': without one, a client
        // that resets the connection while it is refused would crash the process.
        socket.on('error', () => socket.destroy())
        try {
          const pathname = parseTarget(request.url)?.pathname
          if (pathname === undefined) {
            if (server.listenerCount('upgrade') === 1) {
              refuseUpgrade(socket, 400, 'ERR_INVALID_REQUEST', TARGET_REFUSAL)
            }
            return
          }
          if (pathname !== path && pathname !== `${path}/`) {
            // Another upgrade handler (a dev server's HMR, say) may own this path.
            if (server.listenerCount('upgrade') === 1) {
              refuseUpgrade(socket, 404, 'ERR_NOT_FOUND', `Nothing at ${quote(request.url)}`)
            }
            return
          }
          upgrade(request, socket, head)
        } catch (cause) {
          socket.destroy()
          report(new LiveServerError('ERR_INTERNAL', 'an upgrade failed', { cause }), {
            client: false,
            transport: 'websocket',
            request,
          })
        }
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
