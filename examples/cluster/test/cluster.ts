import { type ChildProcess, spawn } from 'node:child_process'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createLiveClient, type LiveClient, type LiveClientOptions } from '@livedata/core'
import { createPublisher, type LivePublisher } from '@livedata/redis'
import { startRedis, type TestRedis } from '@livedata/test-redis'
import { WebSocket } from 'ws'
import { type RoundRobinProxy, type Routed, startRoundRobinProxy } from '../src/proxy'

const NODE_PROCESS = fileURLToPath(new URL('../dist/node-process.js', import.meta.url))

/** A cluster node running as its own process, which the test can stop, kill and start again. */
export interface NodeProcess {
  readonly name: string
  readonly origin: string
  /** Starts it (again) on its port. */
  start(): Promise<void>
  /** SIGTERM: it closes gracefully (its clients resume elsewhere) and exits. */
  stop(): Promise<void>
  /** SIGKILL: a crash. */
  kill(): Promise<void>
}

const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

/** A node process on `port` (0 the first time: it picks one and keeps it). */
export function nodeProcess(name: string, redisUrl: string, history: number): NodeProcess {
  let port = 0
  let child: ChildProcess | null = null
  let exited: Promise<void> = Promise.resolve()
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child
    if (running === null || running.exitCode !== null || running.signalCode !== null) return
    running.kill(signal)
    // A node that does not close within 10 s is killed: the test fails on what it lost, not on
    // a hang.
    const timer = setTimeout(() => running.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
  const node = {
    name,
    get origin() {
      return `http://127.0.0.1:${port}`
    },
    async start() {
      if (child !== null && child.exitCode === null && child.signalCode === null) return
      const started = spawn(process.execPath, [NODE_PROCESS], {
        env: {
          ...process.env,
          NODE_NAME: name,
          REDIS_URL: redisUrl,
          PORT: String(port),
          HISTORY: String(history),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      child = started
      children.add(started)
      exited = new Promise<void>((resolve) =>
        started.once('exit', () => {
          children.delete(started)
          resolve()
        }),
      )
      const lines = createInterface({ input: started.stdout as NodeJS.ReadableStream })
      const listening = await new Promise<number>((resolve, reject) => {
        started.once('exit', (code) =>
          reject(new Error(`${name} exited (${code}) before listening`)),
        )
        lines.on('line', (line) => {
          let said: { listening?: unknown } = {}
          try {
            said = JSON.parse(line) as { listening?: unknown }
          } catch {
            // Not one of the node's JSON lines: not the one we wait for.
          }
          if (typeof said.listening === 'number') resolve(said.listening)
        })
      })
      port = listening
    },
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
  }
  return node
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  nodes?: number
  /** Messages kept per channel, in Redis and on each node. */
  history?: number
  /** Redis with an append-only file. */
  persistence?: boolean
  /** Requests the proxy answers itself (a test page), before routing any to a node. */
  handle?: (request: IncomingMessage, response: ServerResponse) => boolean
}

/** A cluster under test: Redis, node processes, a round-robin proxy and a publisher. */
export interface TestCluster {
  redis: TestRedis
  nodes: NodeProcess[]
  proxy: RoundRobinProxy
  /** Every request the proxy routed, in order. */
  routed: Routed[]
  publisher: LivePublisher
  /** A client of the cluster through the proxy (closed with the cluster). */
  client(options?: Partial<LiveClientOptions>): LiveClient
  close(): Promise<void>
}

/**
 * Starts a real redis-server, `nodes` node processes on it and a round-robin proxy in front;
 * `publisher` publishes from the test process, as a worker would.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const { history = 1000 } = options
  const redis = await startRedis({ persistence: options.persistence })
  const nodes = Array.from({ length: options.nodes ?? 3 }, (_, i) =>
    nodeProcess(`node-${i + 1}`, redis.url, history),
  )
  await Promise.all(nodes.map((node) => node.start()))
  const routed: Routed[] = []
  const proxy = await startRoundRobinProxy({
    targets: nodes.map((node) => ({ name: node.name, origin: node.origin })),
    onRouted: (entry) => routed.push(entry),
    handle: options.handle,
  })
  const publisher = createPublisher({ url: redis.url, history })
  const clients = new Set<LiveClient>()
  return {
    redis,
    nodes,
    proxy,
    routed,
    publisher,
    client(clientOptions = {}) {
      const client = createLiveClient({
        url: `${proxy.url}/live`,
        WebSocket,
        reconnect: { minDelay: 10, maxDelay: 200 },
        disconnectDelay: 0,
        ...clientOptions,
      })
      clients.add(client)
      return client
    },
    async close() {
      for (const client of clients) client.close()
      await publisher.close()
      await proxy.close()
      await Promise.all(nodes.map((node) => node.kill()))
      await redis.close()
    },
  }
}

/**
 * The holes in a sequence of numbers that should run 0, 1, 2, …: each place where the next number
 * is not one more than the last (the start included).
 */
export function holesIn(received: readonly number[]): number {
  let holes = 0
  let expected = 0
  for (const n of received) {
    if (n !== expected) holes++
    expected = n + 1
  }
  return holes
}

/** Resolves once `predicate` holds, checked on every notification of `subscribe`. */
export function when(
  subscribe: (listener: () => void) => () => void,
  predicate: () => boolean,
): Promise<void> {
  return new Promise<void>((resolve) => {
    if (predicate()) return resolve()
    const unsubscribe = subscribe(() => {
      if (!predicate()) return
      unsubscribe()
      resolve()
    })
  })
}

/** A source of sequenced numbers that records what it delivers, and any gap. */
export function sequence(client: LiveClient, channel: string) {
  const received: number[] = []
  let gaps = 0
  const source = client.source<number, number>(channel, {
    initialData: 0,
    reduce: (count, n) => {
      received.push(n)
      return count + 1
    },
  })
  // Each time the gap flag rises: the client was told that messages were lost.
  let gapFlags = 0
  let flagged = false
  // Kept subscribed: a gap flag, even a passing one, is counted.
  source.subscribe(() => {
    const { gap } = source.getSnapshot()
    if (gap) gaps++
    if (gap && !flagged) gapFlags++
    flagged = gap
  })
  const subscribe = (listener: () => void) => source.subscribe(listener)
  return {
    source,
    received,
    get gaps() {
      return gaps
    },
    /** How many times the gap flag rose. */
    get gapFlags() {
      return gapFlags
    },
    subscribe,
    until: (predicate: () => boolean) => when(subscribe, predicate),
  }
}
