import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach } from 'vitest'
import { createLiveServer, type LiveServer, type LiveServerOptions } from '../src/index'

export interface Started {
  http: Server
  live: LiveServer
  origin: string
  url: string
  close(): Promise<void>
}

/** A @livedata/server on a fresh loopback port. */
export async function start(
  options: LiveServerOptions = {},
  fallback?: RequestListener,
): Promise<Started> {
  const http = fallback ? createServer(fallback) : createServer()
  const live = createLiveServer(options)
  live.attach(http)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  return {
    http,
    live,
    origin,
    url: `${origin}${live.path}`,
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
  }
}
