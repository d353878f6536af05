import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type ClockSample, clockOffset, epochNow } from './clock'
import type { NodeCommand, NodeReply, NodeServerKind } from './node-commands'

const NODE_PROCESS = fileURLToPath(new URL('./node-process.js', import.meta.url))
const WORKER_PROCESS = fileURLToPath(new URL('./worker-process.js', import.meta.url))

/** Options of {@link startNodes}. */
export interface NodesOptions {
  count: number
  /** The Redis the nodes share; none: each node in memory (then `count` must be 1). */
  redisUrl?: string
  /** Messages kept per channel, in Redis and on each node. */
  history: number
  /**
   * Who publishes: `live.publish` on the first node (default), or a worker process that serves
   * no clients, with `createPublisher` (needs `redisUrl`).
   */
  publisher?: 'first node' | 'worker'
  /** What each node serves: @livedata (default), or a raw `ws`, SSE or socket.io server. */
  server?: NodeServerKind
}

/** What one round of publishing did: see {@link BenchNodes.publish}. */
export interface Published {
  failed: number
  error?: string
}

/** Node processes the bench started; see {@link startNodes}. */
export interface BenchNodes {
  /** Each node's `http://127.0.0.1:<port>`. */
  origins: string[]
  /** How far the publisher's clock runs ahead of ours, in ms (its time − offset = ours). */
  offset: number
  /** The error bound of `offset`, in ms. */
  offsetError: number
  /** Has the publisher publish; resolves once every publish returned. */
  publish(command: Unnumbered<Exclude<NodeCommand, { type: 'clock' }>>): Promise<Published>
  /** Ends the processes (they close their live server) and waits for them to exit. */
  close(): Promise<void>
}

/** A command without its id, for each kind of command. */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never

/** One node process, talking over IPC. */
function startNode(script: string, env: Record<string, string>) {
  const child: ChildProcess = fork(script, [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const kill = () => child.kill('SIGKILL')
  process.once('exit', kill)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const waiting = new Map<number, (reply: NodeReply) => void>()
  let nextId = 0
  const listening = new Promise<number>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`node exited (${signal ?? code})`)))
    child.on('message', (reply: NodeReply) => {
      if (reply.type === 'listening') return resolve(reply.port)
      waiting.get(reply.id)?.(reply)
      waiting.delete(reply.id)
    })
  })
  return {
    listening,
    ask<R extends NodeReply>(command: Unnumbered<NodeCommand>): Promise<R> {
      const id = nextId++
      return new Promise((resolve) => {
        waiting.set(id, (reply) => resolve(reply as R))
        child.send({ ...command, id })
      })
    },
    async close() {
      process.off('exit', kill)
      if (child.connected) child.disconnect()
      const timer = setTimeout(kill, 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

/**
 * Forks `count` node processes (node-process.ts), on one Redis or in memory, and a worker
 * (worker-process.ts) if it publishes, and measures the publisher's clock against ours so that
 * the bench can read the times it stamps.
 *
 * @example
 * ```ts
 * const nodes = await startNodes({ count: 3, redisUrl: redis.url, history: 20_000 })
 * await nodes.publish({ type: 'burst', channel: 'c', count: 20_000, burst: 200 })
 * await nodes.close()
 * ```
 */
export async function startNodes(options: NodesOptions): Promise<BenchNodes> {
  if (!options.redisUrl && (options.count !== 1 || options.publisher === 'worker'))
    throw new Error('nodes in memory share nothing: several nodes and a worker need redisUrl')
  const server = options.server ?? 'livedata'
  if (server !== 'livedata' && (options.redisUrl || options.publisher === 'worker'))
    throw new Error('a raw server has no backplane: it is one node, publishing itself')
  const env: Record<string, string> = { HISTORY: String(options.history), NODE_SERVER: server }
  if (options.redisUrl) env.REDIS_URL = options.redisUrl
  const nodes = Array.from({ length: options.count }, () => startNode(NODE_PROCESS, env))
  const worker = options.publisher === 'worker' ? startNode(WORKER_PROCESS, env) : null
  const all = worker ? [...nodes, worker] : nodes
  let ports: number[]
  try {
    ports = await Promise.all(nodes.map((node) => node.listening))
    await worker?.listening
  } catch (error) {
    await Promise.all(all.map((node) => node.close()))
    throw error
  }
  const first = worker ?? (nodes[0] as (typeof nodes)[number])
  const samples: ClockSample[] = []
  for (let i = 0; i < 20; i++) {
    const sent = epochNow()
    const { now } = await first.ask<Extract<NodeReply, { type: 'clock' }>>({ type: 'clock' })
    samples.push({ sent, theirs: now, back: epochNow() })
  }
  const { offset, error } = clockOffset(samples)
  return {
    origins: ports.map((port) => `http://127.0.0.1:${port}`),
    offset,
    offsetError: error,
    async publish(command) {
      const { failed, error } = await first.ask<Extract<NodeReply, { type: 'done' }>>(command)
      return { failed, error }
    },
    async close() {
      await Promise.all(all.map((node) => node.close()))
    },
  }
}
