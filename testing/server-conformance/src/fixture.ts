import type {
  LiveServer,
  LiveServerError,
  LiveServerOptions,
  MessageContext,
  ServerTransport,
} from '@livedata/server'

// Runtime-neutral: this file imports only types from @livedata/server (the caller hands in
// `createLiveServer`) and uses Web-standard APIs alone, so Node, Bun, Deno and a Next.js route
// handler load it as TypeScript source.

/**
 * The rules every server under test is built with, so that each can be checked from outside:
 * the suite reads them from here.
 */
export const CONFORMANCE_RULES = {
  /** The base path. */
  path: '/live',
  /** Messages kept per channel: small, so that a gap is easy to provoke. */
  history: 20,
  /** The largest payload, in bytes. */
  maxPayload: 4096,
  /** The one cross-origin page allowed. */
  allowedOrigin: 'http://allowed.example',
  /** The channel `authorize` refuses (subscribe and send alike). */
  forbiddenChannel: 'forbidden',
  /** The channel whose `authorize` throws (a database down): `ERR_AUTHORIZE`, passing. */
  failingChannel: 'unavailable',
  /** The channel `authorize` allows only with `authorization: <token>` (a header, or `hello`). */
  privateChannel: 'private',
  /** The `authorization` header value that opens {@link CONFORMANCE_RULES.privateChannel}. */
  token: 'Bearer conformance',
  /** The reconnection delay suggested to clients, in ms. */
  retry: 50,
  /** Heartbeats every second, so that one is seen quickly. */
  heartbeat: 1000,
  /** Bytes a connection may hold unsent before messages wait in its backlog: small, measurable. */
  maxBufferedBytes: 64 * 1024,
  /** The host names the suite reaches the server by. */
  allowedHosts: ['127.0.0.1', 'localhost'],
} as const

/** A send the fixture's `message` listener received, as `GET /control/received` lists it. */
export interface ReceivedSend {
  /** The send's `data`. */
  data: unknown
  /** Its event name, `null` for none. */
  event: string | null
  /** Its idempotency key, `null` for none. */
  key: string | null
  /** How it arrived: `'http'` (a POST) or `'websocket'`. */
  transport: 'http' | 'websocket'
}

/** Options of {@link createConformanceFixture}. */
export interface ConformanceFixtureOptions {
  /** The transports the live server offers. Default: all five. */
  transports?: readonly ServerTransport[]
}

/** A live server built with {@link CONFORMANCE_RULES} and the control API that drives it. */
export interface ConformanceFixture {
  /** The live server: serve it at `/live` (attach, fetch, a framework integration…). */
  live: LiveServer
  /**
   * Answers a request under `/control/`, or returns `null` for any other URL (serve it as
   * usual then). Control requests are never subject to the live server's checks.
   */
  control(request: Request): Promise<Response> | null
}

/** The signature of `createLiveServer`, handed in so that this file imports no value. */
export type CreateLiveServer = (options: LiveServerOptions) => LiveServer

const CONTROL = '/control/'
// Bounds what a long run keeps: the suite reads a few sends per channel.
const MAX_RECEIVED = 10_000
const MAX_ERRORS = 1_000

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  })

const refuse = (status: number, message: string): Response => json(status, { error: message })

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Creates the live server every conformance target serves, with the fixed rules of
 * {@link CONFORMANCE_RULES} (path `/live`, history 20, maxPayload 4096, one allowed origin, an
 * `authorize` that refuses `forbidden`, throws for `unavailable` and opens `private` only
 * with `authorization: Bearer conformance`, loopback hosts, heartbeats every second), and its control API:
 *
 * - `POST /control/publish` `{channel, data, event?}` → `{id}`;
 * - `POST /control/publish` `{channel, messages: [{data, event?}, …]}` → `{ids}` (one tick);
 * - `GET /control/received?channel=…` → `{received: ReceivedSend[]}`, in arrival order;
 * - `GET /control/errors` → `{errors: [{code, client, channel}]}`, what `onError` was told;
 * - `GET /control/stats` → `live.stats()`;
 * - `POST /control/reset` → 204: forgets the sends and errors kept.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createLiveServer } from '@livedata/server'
 * import { createConformanceFixture } from '@livedata/server-conformance/fixture'
 *
 * const { live, control } = createConformanceFixture(createLiveServer)
 * // Bun: Bun.serve({ fetch: (request) => control(request) ?? live.fetch(request) })
 * ```
 */
export function createConformanceFixture(
  createLiveServer: CreateLiveServer,
  options: ConformanceFixtureOptions = {},
): ConformanceFixture {
  const received = new Map<string, ReceivedSend[]>()
  let receivedCount = 0
  const errors: Array<{ code: string; client: boolean; channel: string | null }> = []
  const live = createLiveServer({
    path: CONFORMANCE_RULES.path,
    ...(options.transports !== undefined && { transports: options.transports }),
    history: CONFORMANCE_RULES.history,
    maxPayload: CONFORMANCE_RULES.maxPayload,
    retry: CONFORMANCE_RULES.retry,
    heartbeat: CONFORMANCE_RULES.heartbeat,
    maxBufferedBytes: CONFORMANCE_RULES.maxBufferedBytes,
    origins: [CONFORMANCE_RULES.allowedOrigin],
    allowedHosts: [...CONFORMANCE_RULES.allowedHosts],
    authorize: ({ channel, headers }) => {
      if (channel === CONFORMANCE_RULES.failingChannel) throw new Error('authorize is down')
      if (channel === CONFORMANCE_RULES.privateChannel) {
        return headers.authorization === CONFORMANCE_RULES.token
      }
      return channel !== CONFORMANCE_RULES.forbiddenChannel
    },
    onError: (error: LiveServerError, context) => {
      if (errors.length >= MAX_ERRORS) errors.shift()
      errors.push({
        code: error.code,
        client: context.client === true,
        channel: context.channel ?? null,
      })
    },
  })
  live.on('message', (channel: string, data: unknown, context: MessageContext) => {
    if (receivedCount >= MAX_RECEIVED) return
    receivedCount++
    const list = received.get(channel) ?? []
    list.push({
      data,
      event: context.event ?? null,
      key: context.key ?? null,
      transport: context.transport,
    })
    received.set(channel, list)
  })

  async function publish(request: Request): Promise<Response> {
    let body: unknown
    try {
      body = await request.json()
    } catch {
      return refuse(400, 'POST /control/publish takes a JSON body')
    }
    if (!isRecord(body) || typeof body.channel !== 'string') {
      return refuse(
        400,
        'POST /control/publish takes {channel, data, event?} or {channel, messages}',
      )
    }
    const { channel } = body
    const one = (message: Record<string, unknown>): string =>
      live.publish(
        channel,
        message.data,
        typeof message.event === 'string' ? { event: message.event } : {},
      )
    try {
      if (Array.isArray(body.messages)) {
        return json(200, { ids: body.messages.map((m) => one(isRecord(m) ? m : { data: m })) })
      }
      return json(200, { id: one(body) })
    } catch (error) {
      return refuse(400, error instanceof Error ? error.message : String(error))
    }
  }

  async function answer(request: Request, url: URL): Promise<Response> {
    const route = `${request.method} ${url.pathname.slice(CONTROL.length)}`
    switch (route) {
      case 'POST publish':
        return publish(request)
      case 'GET received':
        return json(200, { received: received.get(url.searchParams.get('channel') ?? '') ?? [] })
      case 'GET errors':
        return json(200, { errors })
      case 'GET stats':
        return json(200, live.stats())
      case 'POST reset':
        received.clear()
        receivedCount = 0
        errors.length = 0
        return new Response(null, { status: 204 })
      default:
        return refuse(404, `No control route ${route}`)
    }
  }

  return {
    live,
    control(request) {
      const url = new URL(request.url)
      if (!url.pathname.startsWith(CONTROL)) return null
      return answer(request, url)
    },
  }
}
