import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createLiveServer } from '@livedata/server'
import { createStaticHandler } from './static'
import { createTicker } from './ticker'

/** Options of {@link startDemoServer}. */
export interface DemoServerOptions {
  /** The port; 0 picks a free one. Default 3000. */
  port?: number
  /** The interface to listen on; `0.0.0.0` for all. Default `localhost`. */
  host?: string
  /** How often the ticker publishes, in ms. Default 250 (4 times a second). */
  publishInterval?: number
  /** The built app to serve at `/`. Default: examples/react/dist. */
  staticDir?: string
  /** Where log lines go. Default `console.log`. */
  log?: (line: string) => void
}

/** A running demo. */
export interface DemoServer {
  /** The page to open, e.g. `http://localhost:3000/`. */
  url: string
  port: number
  /** Stops the ticker, ends every live connection and closes the port. */
  close(): Promise<void>
}

// Both src/ and dist/ sit one level below examples/server.
const APP_DIR = fileURLToPath(new URL('../../react/dist/', import.meta.url))

function pageUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}/`
}

/**
 * Starts the demo on one port: the live server at `/live`, a simulated stock ticker published
 * on the `prices` channel, and the React app at `/`. Messages clients send are logged.
 *
 * @example
 * ```ts
 * const demo = await startDemoServer({ port: 0, host: '127.0.0.1' })
 * console.log(`open ${demo.url}`)
 * await demo.close()
 * ```
 */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const { port = 3000, host = 'localhost', publishInterval = 250 } = options
  const log = options.log ?? ((line: string) => console.log(line))
  const serveStatic = createStaticHandler(options.staticDir ?? APP_DIR)

  const server = createServer((request, response) => {
    serveStatic(request, response).catch((error: unknown) => {
      log(`[demo] ${request.url} failed: ${error instanceof Error ? error.message : String(error)}`)
      if (!response.headersSent) response.writeHead(500)
      response.end()
    })
  })
  const live = createLiveServer({ path: '/live' }).attach(server)
  live.on('message', (channel, data, context) => {
    const event = context.event === undefined ? '' : ` (${context.event})`
    log(`[demo] message on "${channel}"${event}: ${JSON.stringify(data)}`)
  })

  server.listen(port, host)
  await once(server, 'listening')
  const address = server.address() as AddressInfo

  const ticker = createTicker()
  const timer = setInterval(() => live.publish('prices', ticker.next()), publishInterval)

  let closing: Promise<void> | null = null
  return {
    url: pageUrl(host, address.port),
    port: address.port,
    close() {
      closing ??= (async () => {
        clearInterval(timer)
        await live.close()
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
      })()
      return closing
    },
  }
}
