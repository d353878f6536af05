import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { DEMO_APPS } from '@livedata/example-server/apps'
import { type JsonProcess, startJsonProcess } from './child-process'
import { startRoundRobinProxy } from './proxy'
import { type RedisServer, startRedisServer } from './redis-server'
import { createRoutingLog } from './routing-log'

/** Options of {@link startDemoCluster}. */
export interface DemoClusterOptions {
  /** The proxy's port, the one to open. Default 3000; 0 picks a free one. */
  port?: number
  /** The proxy's interface. Default `localhost`. */
  host?: string
  /** Demo nodes behind the proxy. Default 3. */
  nodes?: number
  /** Messages kept per channel, in Redis and on each node. Default 1000. */
  history?: number
  /** Where log lines go. Default `console.log`. */
  log?: (line: string) => void
}

/** A running cluster demo; see {@link startDemoCluster}. */
export interface DemoCluster {
  /** The page to open, e.g. `http://localhost:3000/`. */
  url: string
  /** What runs where, one line each, for the start-up message. */
  layout: string[]
  /** Stops the proxy, the nodes (gracefully), the ticker, then redis-server and its directory. */
  close(): Promise<void>
}

// dist/ holds the launcher and the processes it starts.
const script = (name: string): string => fileURLToPath(new URL(`./${name}.js`, import.meta.url))

function pageUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}/`
}

/**
 * The demo on several nodes: a redis-server of its own, a ticker worker publishing the prices
 * to it (one publisher for the cluster), `nodes` demo nodes as processes (each serves /live on
 * the Redis backplane and the apps), and a round-robin proxy in front that serves its routing
 * log at `/cluster/routed`.
 *
 * @example
 * ```ts
 * const cluster = await startDemoCluster({ port: 0, host: '127.0.0.1' })
 * console.log(`open ${cluster.url}`)
 * await cluster.close()
 * ```
 */
export async function startDemoCluster(options: DemoClusterOptions = {}): Promise<DemoCluster> {
  const { port = 3000, host = 'localhost', nodes: count = 3, history = 1000 } = options
  const log = options.log ?? ((line: string) => console.log(line))
  let redis: RedisServer | null = null
  const processes: JsonProcess[] = []
  let closing: Promise<void> | null = null
  const stopAll = async (): Promise<void> => {
    // The nodes first (their clients are told to go), then the worker, then Redis.
    await Promise.all(processes.filter((p) => p.name !== 'ticker').map((p) => p.stop()))
    await Promise.all(processes.map((p) => p.stop()))
    await redis?.stop()
  }
  // Whatever happens to this process, no redis-server, node or temporary directory outlives it.
  const onExit = (): void => {
    const kill = (pid: number): void => {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    for (const child of processes) if (!child.exited) kill(child.pid)
    if (redis) {
      kill(redis.pid)
      rmSync(redis.dir, { recursive: true, force: true })
    }
  }
  process.once('exit', onExit)

  try {
    redis = await startRedisServer()
    const env = { REDIS_URL: redis.url, HISTORY: String(history) }
    const [ticker] = await startJsonProcess({
      name: 'ticker',
      script: script('ticker-process'),
      env,
      ready: (line) => line.publishing === 'prices',
      onLine: (line) => {
        if (typeof line.failing === 'string') log(`[ticker] cannot publish: ${line.failing}`)
        if (line.recovered === true) log('[ticker] publishing again')
      },
    })
    processes.push(ticker)
    const nodes = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const name = `node-${i + 1}`
        const [node, said] = await startJsonProcess({
          name,
          script: script('node-process'),
          env: { ...env, NODE_NAME: name, PORT: '0' },
          ready: (line) => typeof line.listening === 'number',
          onLine: (line) => {
            const message = line.message as { channel: string; event?: string; data: unknown }
            if (message) {
              const event = message.event === undefined ? '' : ` (${message.event})`
              log(
                `[${name}] message on "${message.channel}"${event}: ${JSON.stringify(message.data)}`,
              )
            }
            if (typeof line.log === 'string') log(`[${name}] ${line.log}`)
          },
          onExit: (code, signal) => {
            if (closing === null) log(`[${name}] exited (${signal ?? code}); the proxy skips it`)
          },
        })
        processes.push(node)
        return { node, origin: `http://127.0.0.1:${said.listening as number}` }
      }),
    )
    const routing = createRoutingLog()
    const proxy = await startRoundRobinProxy({
      targets: nodes.map(({ node, origin }) => ({ name: node.name, origin })),
      port,
      host,
      onRouted: routing.record,
      handle: routing.handle,
    })
    const url = pageUrl(host, proxy.port)
    const layout = [
      `proxy    ${url}  round robin, no sticky sessions; routing log at /cluster/routed (this process, pid ${process.pid})`,
      ...nodes.map(
        ({ node, origin }) =>
          `${node.name.padEnd(8)} ${origin}  /live on Redis, the apps, /healthz (pid ${node.pid})`,
      ),
      `ticker   publishes the prices to Redis 4 times a second (pid ${ticker.pid})`,
      `redis    ${redis.url}  no persistence, in ${redis.dir} (pid ${redis.pid})`,
      ...DEMO_APPS.map((app) => `${app.name.padEnd(8)} ${new URL(app.prefix, url).href}`),
    ]
    return {
      url,
      layout,
      close() {
        closing ??= (async () => {
          routing.close()
          await proxy.close()
          await stopAll()
          process.removeListener('exit', onExit)
        })()
        return closing
      },
    }
  } catch (error) {
    closing = stopAll().catch(() => {})
    await closing
    throw error
  }
}
