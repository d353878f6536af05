import { once } from 'node:events'
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach } from 'vitest'
import { type ClientOptions, WebSocket } from 'ws'
import {
  createLiveServer,
  type ErrorContext,
  type LiveServer,
  type LiveServerError,
  type LiveServerOptions,
} from '../src/index'

/** One report the server made to `onError`. */
export interface Report {
  error: LiveServerError
  context: ErrorContext
}

export interface Started {
  http: Server
  live: LiveServer
  origin: string
  url: string
  /** What the server reported to `onError` (when the test gave none of its own). */
  reports: Report[]
  close(): Promise<void>
}

/** A @livedata/server on a fresh loopback port; what it reports is kept in `reports`, not logged. */
export async function start(
  options: LiveServerOptions = {},
  fallback?: RequestListener,
): Promise<Started> {
  const http = fallback ? createServer(fallback) : createServer()
  const reports: Report[] = []
  const live = createLiveServer({
    onError: (error, context) => reports.push({ error, context }),
    ...options,
  })
  live.attach(http)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  return {
    http,
    live,
    origin,
    url: `${origin}${live.path}`,
    reports,
    async close() {
      await live.close()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}

/** An open SSE response whose text can be awaited until it contains what a test expects. */
export async function openStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController()
  const response = await fetch(url, { headers, signal: controller.signal })
  let text = ''
  const waiters: Array<{ test: (text: string) => boolean; resolve: (text: string) => void }> = []
  const pump = async () => {
    if (!response.body) return
    const decoder = new TextDecoder()
    const reader = response.body.getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        text += decoder.decode(value, { stream: true })
        for (const waiter of [...waiters]) {
          if (waiter.test(text)) {
            waiters.splice(waiters.indexOf(waiter), 1)
            waiter.resolve(text)
          }
        }
      }
    } catch {
      // aborted
    }
  }
  const ended = pump()
  return {
    response,
    /** Resolves when the server ends the stream. */
    ended,
    get text() {
      return text
    },
    /** Resolves with all text so far once it satisfies `test`. */
    until(test: (text: string) => boolean): Promise<string> {
      if (test(text)) return Promise.resolve(text)
      return new Promise((resolve) => waiters.push({ test, resolve }))
    },
    close() {
      controller.abort()
    },
  }
}

/** One event of a text/event-stream, as a test reads it. */
export interface StreamEvent {
  id: string | undefined
  event: string | undefined
  data: string | undefined
}

/** The events of a stream's text (split on LF only: a payload may hold U+2028). */
export function eventsOf(text: string): StreamEvent[] {
  const events: StreamEvent[] = []
  for (const block of text.split('\n\n')) {
    const event: StreamEvent = { id: undefined, event: undefined, data: undefined }
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      const value = colon === -1 ? '' : line.slice(colon + 2)
      if (field === 'id' || field === 'event' || field === 'data') event[field] = value
    }
    if (event.data !== undefined) events.push(event)
  }
  return events
}

/** The messages of a stream (control events left out). */
const messagesOf = (text: string) =>
  eventsOf(text).filter((event) => !event.event?.startsWith('livedata.'))

/** The payloads of a stream's messages, parsed as JSON. */
export function dataOf(text: string): unknown[] {
  return messagesOf(text).map((event) => JSON.parse(event.data as string))
}

/** The ids of a stream's messages. */
export function idsOf(text: string): string[] {
  return messagesOf(text).map((event) => event.id as string)
}

/** Servers started through it, and whatever else is `defer`red, are closed after each test. */
export function testScope() {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  const defer = (cleanup: () => Promise<void> | void): void => {
    cleanups.push(cleanup)
  }
  return {
    defer,
    async server(...args: Parameters<typeof start>): Promise<Started> {
      const started = await start(...args)
      defer(() => started.close())
      return started
    },
    async socket(...args: Parameters<typeof openSocket>) {
      const opened = await openSocket(...args)
      defer(() => opened.ws.terminate())
      return opened
    },
  }
}

/** A frame the server sent over the WebSocket. */
export type Frame = Record<string, unknown>

/** A raw `ws` client on the live server's WebSocket, recording the frames it receives. */
export async function openSocket(s: Started, options: ClientOptions = {}) {
  const ws = new WebSocket(s.url.replace('http', 'ws'), options)
  const frames: Frame[] = []
  const waiters: Array<() => void> = []
  const wake = (): void => {
    for (const waiter of waiters.splice(0)) waiter()
  }
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)))
    wake()
  })
  const closed = new Promise<{ code: number }>((resolve) =>
    ws.once('close', (code) => {
      resolve({ code })
      wake()
    }),
  )
  await once(ws, 'open')
  return {
    ws,
    frames,
    /** Resolves with the close code once the socket closed. */
    closed,
    send: (frame: unknown) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    /** Resolves once the frames received satisfy `test`; rejects if the socket closes first. */
    async until(test: (frames: Frame[]) => boolean): Promise<Frame[]> {
      while (!test(frames)) {
        if (ws.readyState === ws.CLOSED) {
          throw new Error(`closed before that arrived; got ${JSON.stringify(frames)}`)
        }
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
      return frames
    },
  }
}

/** A JSON array nested `depth` deep: the input that once overflowed the stack of an error message. */
export const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`

/**
 * Collects what escapes to the process while each test of the file runs (unhandled rejections,
 * uncaught exceptions): a server must let nothing a client sends get there.
 */
export function watchEscapes(): unknown[] {
  const escaped: unknown[] = []
  const onEscape = (error: unknown): void => {
    escaped.push(error)
  }
  beforeEach(() => {
    escaped.length = 0
    process.on('unhandledRejection', onEscape)
    process.on('uncaughtException', onEscape)
  })
  afterEach(() => {
    process.off('unhandledRejection', onEscape)
    process.off('uncaughtException', onEscape)
  })
  return escaped
}

/** A raw TCP peer on a server, to send exactly the bytes a test needs, and see when it closes. */
export async function rawPeer(origin: string) {
  const { connect } = await import('node:net')
  const socket = connect(Number(new URL(origin).port), '127.0.0.1')
  socket.on('error', () => {})
  await once(socket, 'connect')
  let received = ''
  socket.on('data', (chunk) => {
    received += chunk
  })
  // Not events.once: it rejects on 'error', and a peer writing after the server closed gets EPIPE.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve())).then(
    () => received,
  )
  return {
    socket,
    /** Resolves with all the server answered, once the connection closed. */
    closed,
    get received() {
      return received
    },
  }
}

/** Rejects after `ms` with `what` in the message, for a race with an event that must come first. */
export function deadline(ms: number, what: string): Promise<never> {
  const late = new Promise<never>((_, reject) => {
    setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms).unref()
  })
  // Lost races end here, not as unhandled rejections.
  late.catch(() => {})
  return late
}

/**
 * An `authorize` (allowing everything) that tells when the server has a request: `next()`,
 * called before the request is sent, resolves once `authorize` was asked for it and everything
 * the server does next without waiting on I/O has run (its microtasks, flushed by a
 * `setImmediate`): a long poll is held, a send's body is being read.
 */
export function arrivals() {
  const waiting: Array<() => void> = []
  return {
    authorize: (): boolean => {
      for (const resolve of waiting.splice(0)) setImmediate(resolve)
      return true
    },
    next: (): Promise<void> => new Promise<void>((resolve) => waiting.push(resolve)),
  }
}
