import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { Channel } from './channel'
import { LiveServerError } from './errors'
import { createIdGenerator, isMessageId } from './ids'
import { createOriginCheck, type OriginOption } from './origin'
import { type SseConnection, serveSse } from './transports/sse'

/** What `authorize` is asked about. */
export interface AuthorizeContext {
  /** The channel the request is for. */
  channel: string
  /** `subscribe` to receive, `send` to publish a client message. */
  action: 'subscribe' | 'send'
  /** The HTTP request, for its cookies, headers and URL. */
  request: IncomingMessage
}

/** Options of {@link createLiveServer}. */
export interface LiveServerOptions {
  /** The base path; channels live at `<path>/<channel>`. Default `/live`. */
  path?: string
  /** Messages kept per channel for resume. Default 1000. */
  history?: number
  /** Interval of heartbeat comments in ms; 0 turns them off. Default 15 000. */
  heartbeat?: number
  /** The reconnection delay suggested to clients (`retry:`), in ms. Default 1000. */
  retry?: number
  /** Browser origins allowed to connect. Default: the server's own origin only. */
  origins?: OriginOption
  /** The largest payload, published or sent by a client, in bytes. Default 64 KiB. */
  maxPayload?: number
  /** Bytes a slow connection may have waiting before it is closed. Default 1 MiB. */
  maxBufferedBytes?: number
  /** Decides per request whether it may subscribe to or send on a channel. Default: allow. */
  authorize?: (context: AuthorizeContext) => boolean | Promise<boolean>
}

/** Options of `live.publish`. */
export interface PublishOptions {
  /** The event name; omitted, the message is an unnamed (`message`) event. */
  event?: string
}

/** Context of a client's send. */
export interface MessageContext {
  /** The event name the client gave, if any. */
  event: string | undefined
  /** How it arrived. */
  transport: 'http'
  /** The request that carried it. */
  request: IncomingMessage
}

/** Receives the messages clients send. */
export type MessageListener = (channel: string, data: unknown, context: MessageContext) => void

/** A live server; see {@link createLiveServer}. */
export interface LiveServer {
  /** The base path, without a trailing slash. */
  readonly path: string
  /**
   * Serves the live routes on `server`, in front of the request listeners it already has, which
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
}

const CHANNEL = /^[\w.:@~-]{1,256}$/
const EVENT = /^[^\r\n\0]{1,256}$/
const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8' }

function checkChannel(channel: unknown): asserts channel is string {
  if (typeof channel !== 'string' || !CHANNEL.test(channel)) {
    throw new LiveServerError(
      'ERR_INVALID_CHANNEL',
      `Channel names are 1 to 256 characters of letters, digits and _ . : @ ~ -, got ${JSON.stringify(channel)}`,
    )
  }
}

function checkEvent(event: unknown): string | undefined {
  if (event === undefined || event === 'message') return undefined
  if (typeof event !== 'string' || !EVENT.test(event) || event.startsWith('livedata.')) {
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

function sendError(
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent) {
    response.destroy()
    return
  }
  response.writeHead(status, { ...headers, ...JSON_HEADERS })
  response.end(JSON.stringify({ error: { code, message } }))
}

/**
 * Creates a live server: channels of JSON messages, each message with an id, a bounded history
 * per channel for resume, heartbeats and Origin checks, served as Server-Sent Events at
 * `<path>/<channel>`; clients send with a POST to the same URL.
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
  const historySize = positive('history', options.history, 1000)
  const heartbeat = positive('heartbeat', options.heartbeat, 15_000)
  const retry = positive('retry', options.retry, 1000)
  const maxPayload = positive('maxPayload', options.maxPayload, 64 * 1024)
  const maxBufferedBytes = positive('maxBufferedBytes', options.maxBufferedBytes, 1024 * 1024)
  const originAllowed = createOriginCheck(options.origins)
  const authorize = options.authorize
  const nextId = createIdGenerator()
  const channels = new Map<string, Channel>()
  const sseConnections = new Set<SseConnection>()
  const messageListeners = new Set<MessageListener>()
  const attached = new Map<Server, () => void>()
  let closed = false

  const heartbeatTimer =
    heartbeat > 0
      ? setInterval(() => {
          for (const connection of sseConnections) connection.heartbeat()
        }, heartbeat)
      : null
  heartbeatTimer?.unref()

  const channelNamed = (name: string): Channel => {
    let channel = channels.get(name)
    if (!channel) {
      channel = new Channel(name, historySize)
      channels.set(name, channel)
    }
    return channel
  }

  const corsHeaders = (request: IncomingMessage): Record<string, string> => {
    const origin = request.headers.origin
    if (origin === undefined) return {}
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Credentials': 'true',
      Vary: 'Origin',
    }
  }

  const allowed = async (context: AuthorizeContext): Promise<boolean> => {
    if (!authorize) return true
    try {
      return (await authorize(context)) === true
    } catch {
      return false
    }
  }

  const readBody = (request: IncomingMessage): Promise<string | null> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      let size = 0
      request.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > maxPayload) {
          resolve(null)
          request.removeAllListeners('data')
          request.resume()
          return
        }
        chunks.push(chunk)
      })
      request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
      request.on('error', reject)
    })

  const handleSend = async (
    request: IncomingMessage,
    response: ServerResponse,
    channel: string,
    cors: Record<string, string>,
  ): Promise<void> => {
    if (!(await allowed({ channel, action: 'send', request }))) {
      return sendError(
        response,
        403,
        'ERR_FORBIDDEN',
        `Sending on "${channel}" is not allowed`,
        cors,
      )
    }
    const declared = Number(request.headers['content-length'] ?? 0)
    const body = declared > maxPayload ? null : await readBody(request)
    if (body === null) {
      response.setHeader('Connection', 'close')
      return sendError(
        response,
        413,
        'ERR_PAYLOAD_TOO_LARGE',
        `The body exceeds maxPayload (${maxPayload} bytes)`,
        cors,
      )
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      return sendError(response, 400, 'ERR_INVALID_JSON', 'The body is not valid JSON', cors)
    }
    if (typeof parsed !== 'object' || parsed === null || !('data' in parsed)) {
      return sendError(
        response,
        400,
        'ERR_INVALID_MESSAGE',
        'The body must be a JSON object {"data": ..., "event"?: "name"}',
        cors,
      )
    }
    const { data, event } = parsed as { data: unknown; event?: unknown }
    if (event !== undefined && (typeof event !== 'string' || !EVENT.test(event))) {
      return sendError(response, 400, 'ERR_INVALID_EVENT', 'event must be a short string', cors)
    }
    const context: MessageContext = { event, transport: 'http', request }
    for (const listener of messageListeners) {
      try {
        listener(channel, data, context)
      } catch (error) {
        console.error('[@livedata/server] a message listener threw:', error)
        return sendError(
          response,
          500,
          'ERR_LISTENER',
          'The server failed to take the message',
          cors,
        )
      }
    }
    response.writeHead(204, cors)
    response.end()
  }

  const route = async (
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    rest: string,
  ): Promise<void> => {
    const cors = corsHeaders(request)
    if (!originAllowed(request)) {
      return sendError(
        response,
        403,
        'ERR_ORIGIN',
        `Origin ${request.headers.origin} is not allowed; add it to the server's origins`,
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
        return handleSend(request, response, channel, cors)
      case 'GET': {
        if (!(await allowed({ channel, action: 'subscribe', request }))) {
          return sendError(
            response,
            403,
            'ERR_FORBIDDEN',
            `Access to "${channel}" is not allowed`,
            cors,
          )
        }
        const header = request.headers['last-event-id']
        const raw =
          (typeof header === 'string' ? header : null) ?? url.searchParams.get('lastEventId')
        // An id we never issued is a resume from nowhere: treated as "missed everything".
        const lastEventId = raw === null || raw === '' ? null : isMessageId(raw) ? raw : '0-0'
        serveSse(
          response,
          channelNamed(channel),
          lastEventId,
          { retry, maxBufferedBytes },
          cors,
          sseConnections,
        )
        return
      }
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

  const live: LiveServer = {
    path,
    handle(request, response) {
      const url = new URL(request.url ?? '/', 'http://localhost')
      const prefix = `${path}/`
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
      const listener = (request: IncomingMessage, response: ServerResponse): void => {
        if (live.handle(request, response)) return
        if (others.length === 0) {
          sendError(response, 404, 'ERR_NOT_FOUND', `Nothing at ${request.url}`)
          return
        }
        for (const other of others) other.call(server, request, response)
      }
      server.on('request', listener)
      attached.set(server, () => {
        server.removeListener('request', listener)
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
      // Cheap length first; only a payload that might be too large is measured in bytes.
      if (json.length * 3 > maxPayload && Buffer.byteLength(json) > maxPayload) {
        throw new LiveServerError(
          'ERR_PAYLOAD_TOO_LARGE',
          `The payload for "${channel}" is ${Buffer.byteLength(json)} bytes, over maxPayload (${maxPayload})`,
        )
      }
      const id = nextId()
      channelNamed(channel).publish({ id, event, json })
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
    off(_event, listener) {
      messageListeners.delete(listener)
      return live
    },
    async close() {
      if (closed) return
      closed = true
      if (heartbeatTimer) clearInterval(heartbeatTimer)
      for (const connection of sseConnections) connection.close()
      sseConnections.clear()
      for (const detach of attached.values()) detach()
      attached.clear()
    },
  }
  return live
}
