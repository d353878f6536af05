import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLiveServer } from '@livedata/server'
import { Server as SocketIoServer } from 'socket.io'
import { createAppsHandler, DEMO_APPS, type DemoApp } from './apps'
import { createTicker } from './ticker'

export { DEMO_APPS, type DemoApp }

/** Options of {@link startDemoServer}. */
export interface DemoServerOptions {
  /** The port; 0 picks a free one. Default 3000. */
  port?: number
  /** The interface to listen on; `0.0.0.0` for all. Default `localhost`. */
  host?: string
  /** How often the ticker publishes, in ms. Default 250 (4 times a second). */
  publishInterval?: number
  /** The built apps and where to serve them. Default: {@link DEMO_APPS}. */
  apps?: readonly DemoApp[]
  /** Where log lines go. Default `console.log`. */
  log?: (line: string) => void
}

/** A running demo. */
export interface DemoServer {
  /** The page to open, e.g. `http://localhost:3000/`. */
  url: string
  /** Each app's page, by name. */
  apps: ReadonlyArray<{ name: string; url: string }>
  port: number
  /** Stops the ticker, ends every live connection and closes the port. */
  close(): Promise<void>
}

function pageUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}/`
}

/**
 * Starts the demo on one port: the live server at `/live`, a simulated stock ticker published
 * on the `prices` channel, and each example app at its own path (React at `/`). Messages clients send are logged.
 * The same ticker is emitted as the `prices` event by a socket.io server at `/socket.io/` (with
 * connection state recovery), which acknowledges `ping` events: an existing socket.io backend,
 * as `@livedata/socket.io` meets it.
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
  const apps = options.apps ?? DEMO_APPS
  const server = createServer(createAppsHandler(apps, log))
  const live = createLiveServer({ path: '/live' }).attach(server)
  live.on('message', (channel, data, context) => {
    const event = context.event === undefined ? '' : ` (${context.event})`
    log(`[demo] message on "${channel}"${event}: ${JSON.stringify(data)}`)
  })
  const io = new SocketIoServer(server, {
    connectionStateRecovery: {},
    // The apps bundle socket.io-client; and /live's WebSocket upgrades are the live server's.
    serveClient: false,
    destroyUpgrade: false,
  })
  io.on('connection', (socket) => {
    socket.on('ping', (data: unknown, ack?: () => void) => {
      log(`[demo] socket.io ping: ${JSON.stringify(data)}`)
      if (typeof ack === 'function') ack()
    })
  })

  server.listen(port, host)
  await once(server, 'listening')
  const address = server.address() as AddressInfo

  const ticker = createTicker()
  const timer = setInterval(() => {
    const table = ticker.next()
    live.publish('prices', table)
    io.emit('prices', table)
  }, publishInterval)

  let closing: Promise<void> | null = null
  const url = pageUrl(host, address.port)
  return {
    url,
    apps: apps.map((app) => ({ name: app.name, url: new URL(app.prefix, url).href })),
    port: address.port,
    close() {
      closing ??= (async () => {
        clearInterval(timer)
        await live.close()
        const closed = once(server, 'close')
        // Ends socket.io's sockets, then calls server.close(): no new connection comes in.
        await io.close()
        // What is left is idle keep-alive connections, which would hold the close up.
        server.closeAllConnections()
        await closed
      })()
      return closing
    },
  }
}
