import { createLiveServer, type LiveServer } from '@livedata/server'
import type { Echo, Note } from './notes'
import { createTicker } from './ticker'
import { ROUTE_TRANSPORTS } from './transports'

/** How often the ticker publishes on `prices`, in ms. */
export const PUBLISH_INTERVAL = 400

const holder = globalThis as typeof globalThis & { __livedataExample?: LiveServer }

function start(): LiveServer {
  const live = createLiveServer({
    path: '/live',
    transports: ROUTE_TRANSPORTS,
    // A route handler knows no client address, so the default DNS-rebinding check cannot apply:
    // the names this app is reached by, plus LIVE_HOSTS (comma-separated) in production.
    allowedHosts: ['localhost', '127.0.0.1', ...(process.env.LIVE_HOSTS?.split(',') ?? [])],
  })
  const ticker = createTicker()
  // unref: the ticker alone does not keep a process (a build worker) alive.
  setInterval(() => live.publish('prices', ticker.next()), PUBLISH_INTERVAL).unref()
  // Every note sent is answered on `echo`, which the page shows: the round trip made visible.
  live.on('message', (channel, data) => {
    if (channel !== 'notes') return
    const text = typeof data === 'object' && data !== null ? (data as Partial<Note>).text : null
    if (typeof text !== 'string') throw new TypeError('A note is {"text": string}')
    live.publish('echo', { text: text.slice(0, 200), receivedAt: Date.now() } satisfies Echo)
  })
  return live
}

/**
 * The app's one live server, created on first use and kept on `globalThis`, so that the dev
 * server's hot reloads (which evaluate this module again) do not start a second ticker.
 *
 * @example
 * ```ts
 * export const GET = (request: Request) => liveServer().fetch(request)
 * ```
 */
export function liveServer(): LiveServer {
  holder.__livedataExample ??= start()
  return holder.__livedataExample
}
