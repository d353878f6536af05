import { CONFORMANCE_RULES } from './fixture'
import { createIframeParser } from './iframe-reader'
import { EventQueue } from './queue'
import { createSseParser, type SseBlock } from './sse-reader'
import type { ChannelSpec, WireEvent } from './wire-event'

/** The HTTP transports: each subscribes with a GET. */
export type HttpTransport = 'sse' | 'long-polling' | 'polling' | 'iframe'

/** The two shapes of a subscribing request: one channel under the path, or several at it. */
export type Form = 'plain' | 'multiplexed'

/** The nonce the suite's iframe requests carry. */
export const IFRAME_NONCE = 'conformance-nonce'

/** A subscription the suite holds open: the first answer's head, then what it said. */
export interface Subscription {
  /** The status of the first answer. */
  status: number
  headers: Headers
  /** The first answer's JSON body when it was an error (not 2xx), else `null`. */
  error: { code?: string; message?: string } | null
  events: EventQueue<WireEvent>
  /** Cuts the connection (or stops polling) at once, as a network failure would. */
  cut(): void
}

/** Options of a subscribing request. */
export interface SubscribeOptions {
  /** The `Origin` header to send; none by default. */
  origin?: string
  /** More request headers (`Last-Event-ID`, say), on the first request only. */
  headers?: Record<string, string>
}

/** The URL of a subscribing request over `transport` for `specs` in `form`. */
export function subscribeUrl(
  base: string,
  transport: HttpTransport,
  form: Form,
  specs: readonly ChannelSpec[],
): URL {
  const { path, allowedOrigin } = CONFORMANCE_RULES
  let url: URL
  if (form === 'plain') {
    const [spec] = specs
    if (!spec || specs.length !== 1) throw new Error('The plain form takes exactly one channel')
    url = new URL(`${path}/${encodeURIComponent(spec.channel)}`, base)
    if (spec.after !== undefined) url.searchParams.set('lastEventId', spec.after)
    else if (spec.replay !== undefined) url.searchParams.set('replay', String(spec.replay))
  } else {
    url = new URL(path, base)
    for (const { channel, after, replay } of specs) {
      const start = after !== undefined ? `!${after}` : replay !== undefined ? `*${replay}` : ''
      url.searchParams.append('c', `${channel}${start}`)
    }
  }
  url.searchParams.set('transport', transport)
  if (transport === 'iframe') {
    url.searchParams.set('origin', allowedOrigin)
    url.searchParams.set('nonce', IFRAME_NONCE)
  }
  return url
}

const parse = (text: string | undefined): unknown =>
  text === undefined ? undefined : JSON.parse(text)

/** Reads an error answer's `{error: {code, message}}`, or what there is. */
async function errorBody(response: Response): Promise<Subscription['error']> {
  const text = await response.text()
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } }
    return body.error ?? { message: text }
  } catch {
    return { message: text }
  }
}

/**
 * Opens a subscription over one of the HTTP transports and resolves once the first answer's
 * head arrived. Streams (SSE, iframe) are read as they flow; long polling and polling ask
 * again from each channel's cursor until `cut()` (polling 10 ms after each answer).
 *
 * @example
 * ```ts
 * const sub = await subscribeHttp(url, 'sse', 'plain', [{ channel: 'news' }])
 * const cursor = await sub.events.next('the cursor', (e) => e.type === 'cursor')
 * ```
 */
export async function subscribeHttp(
  base: string,
  transport: HttpTransport,
  form: Form,
  specs: readonly ChannelSpec[],
  options: SubscribeOptions = {},
): Promise<Subscription> {
  const abort = new AbortController()
  const events = new EventQueue<WireEvent>()
  const headers: Record<string, string> = options.origin ? { origin: options.origin } : {}
  const request = (url: URL, more: Record<string, string> = {}): Promise<Response> =>
    fetch(url, { headers: { ...headers, ...more }, signal: abort.signal, cache: 'no-store' })
  const cut = (): void => {
    abort.abort()
    events.end('the suite cut the connection')
  }
  const first = await request(subscribeUrl(base, transport, form, specs), options.headers)
  const opened = {
    status: first.status,
    headers: first.headers,
    error: null as Subscription['error'],
    events,
    cut,
  }
  if (!first.ok) {
    opened.error = await errorBody(first)
    events.end(`the answer was ${first.status}`)
    return opened
  }
  const channelOf = form === 'plain' ? (specs[0] as ChannelSpec).channel : null
  if (transport === 'sse' || transport === 'iframe') {
    const feed =
      transport === 'sse'
        ? createSseParser((block) => sseEvent(block, channelOf, events))
        : createIframeParser((object) => iframeEvent(object, channelOf, events))
    void readStream(first, feed, events)
  } else {
    void pollLoop(first, transport, form, specs, request, base, events)
  }
  return opened
}

async function readStream(
  response: Response,
  feed: (chunk: string) => void,
  events: EventQueue<WireEvent>,
): Promise<void> {
  const decoder = new TextDecoder()
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      feed(decoder.decode(chunk, { stream: true }))
    }
    events.end('the server ended the stream')
  } catch (error) {
    events.end(`the stream failed: ${String(error)}`)
  }
}

function sseEvent(block: SseBlock, plain: string | null, events: EventQueue<WireEvent>): void {
  if (block.retry !== undefined) events.push({ type: 'open', channel: plain })
  if (block.comment && block.data === undefined) events.push({ type: 'heartbeat', channel: null })
  if (block.data === undefined) return
  const name = block.event
  if (plain !== null) {
    if (name === 'livedata.cursor') {
      events.push({ type: 'cursor', channel: plain, cursor: block.id ?? '' })
    } else if (name === 'livedata.gap') {
      const gap = parse(block.data) as { lastEventId?: string; oldest?: string | null }
      events.push({ type: 'gap', channel: plain, lastEventId: gap.lastEventId, oldest: gap.oldest })
    } else {
      const id = block.id ?? ''
      events.push({
        type: 'message',
        channel: plain,
        id,
        event: name ?? null,
        data: parse(block.data),
      })
    }
    return
  }
  const data = parse(block.data) as Record<string, unknown>
  if (name === '!refused') {
    events.push({ type: 'refused', channel: String(data.channel), code: String(data.code) })
  } else if (name === '!cursor') {
    events.push({ type: 'cursor', channel: String(data.channel), cursor: String(data.cursor) })
  } else if (name === '!gap') {
    events.push({
      type: 'gap',
      channel: String(data.channel),
      lastEventId: data.lastEventId as string | null,
      oldest: data.oldest as string | null,
    })
  } else if (name !== undefined) {
    const slash = name.indexOf('/')
    events.push({
      type: 'message',
      channel: slash < 0 ? name : name.slice(0, slash),
      id: block.id ?? '',
      event: slash < 0 ? null : name.slice(slash + 1),
      data,
    })
  }
}

function iframeEvent(
  object: Record<string, unknown>,
  plain: string | null,
  events: EventQueue<WireEvent>,
): void {
  const channel = plain ?? String(object.c)
  switch (object.t) {
    case 'o':
      events.push({ type: 'open', channel: plain })
      if (typeof object.cursor === 'string' && plain !== null) {
        events.push({ type: 'cursor', channel: plain, cursor: object.cursor })
      }
      return
    case 'c':
      events.push({ type: 'cursor', channel, cursor: String(object.cursor) })
      return
    case 'g':
      events.push({
        type: 'gap',
        channel,
        ...('lastEventId' in object && { lastEventId: object.lastEventId as string | null }),
        ...('oldest' in object && { oldest: object.oldest as string | null }),
      })
      return
    case 'h':
      events.push({ type: 'heartbeat', channel: null })
      return
    case 'r':
      events.push({ type: 'refused', channel, code: String(object.code) })
      return
    case 'm': {
      const m = object.m as { id: string; event?: string; data: unknown }
      events.push({ type: 'message', channel, id: m.id, event: m.event ?? null, data: m.data })
      return
    }
    default:
  }
}

interface PollAnswer {
  cursor?: string
  gap?: boolean
  messages?: Array<{ id: string; event?: string; data: unknown }>
  error?: { code: string }
}

async function pollLoop(
  first: Response,
  transport: 'long-polling' | 'polling',
  form: Form,
  specs: readonly ChannelSpec[],
  request: (url: URL) => Promise<Response>,
  base: string,
  events: EventQueue<WireEvent>,
): Promise<void> {
  let cursors = specs.map((spec) => ({ ...spec }))
  let response = first
  try {
    for (;;) {
      if (!response.ok) {
        events.end(`a poll was answered ${response.status}`)
        return
      }
      const body = (await response.json()) as { channels?: Record<string, PollAnswer> } & PollAnswer
      const answers: Array<[string, PollAnswer]> =
        form === 'plain'
          ? [[(specs[0] as ChannelSpec).channel, body]]
          : Object.entries(body.channels ?? {})
      for (const [channel, answer] of answers) {
        const spec = cursors.find((c) => c.channel === channel)
        if (!spec) continue
        if (answer.error) {
          events.push({ type: 'refused', channel, code: answer.error.code })
          cursors = cursors.filter((c) => c !== spec)
          continue
        }
        if (answer.gap) events.push({ type: 'gap', channel })
        for (const m of answer.messages ?? []) {
          events.push({ type: 'message', channel, id: m.id, event: m.event ?? null, data: m.data })
        }
        // What a stream tells as a cursor: a fresh subscription's, when no backlog came.
        if (spec.after === undefined && answer.cursor !== undefined && !answer.messages?.length) {
          events.push({ type: 'cursor', channel, cursor: answer.cursor })
        }
        if (answer.cursor !== undefined) {
          spec.after = answer.cursor
          delete spec.replay
        }
      }
      if (cursors.length === 0) {
        events.end('every channel was refused')
        return
      }
      if (transport === 'polling') await new Promise((resolve) => setTimeout(resolve, 10))
      response = await request(subscribeUrl(base, transport, form, cursors))
    }
  } catch (error) {
    events.end(`polling failed: ${String(error)}`)
  }
}
