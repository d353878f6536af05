import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe } from 'vitest'

const BINARY = process.env.REDIS_SERVER_PATH ?? 'redis-server'

/** Whether `redis-server` can be run here. */
export function hasRedis(): boolean {
  try {
    execFileSync(BINARY, ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

let warned = false

/**
 * `describe`, skipped with a loud warning locally when there is no redis-server; in CI
 * (`CI=true`) it runs, and fails.
 *
 * @example
 * ```ts
 * describeWithRedis('the publisher', () => { it('…', async () => { const redis = await startRedis() }) })
 * ```
 */
export function describeWithRedis(title: string, body: () => void): void {
  const skip = !hasRedis() && !process.env.CI
  if (skip && !warned) {
    warned = true
    console.warn(
      `\n!!! Skipping tests that need redis-server ("${title}" and others): there is none (${BINARY}).\n!!! Install it with: apt-get install -y redis-server (or set REDIS_SERVER_PATH). In CI these tests fail instead.\n`,
    )
  }
  describe.skipIf(skip)(title, body)
}

/** A redis-server this process started, on loopback. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  /** Stops it (SIGTERM; with persistence it saves first) and waits until it exited. */
  stop(): Promise<void>
  /** Kills it (SIGKILL: nothing saved) and waits until it exited. */
  kill(): Promise<void>
  /** Starts it again on the same port and directory (with persistence, its data is back). */
  restart(): Promise<void>
  /** Stops it and removes its directory. */
  close(): Promise<void>
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Append-only file on (fsync always): what was acknowledged survives a restart. Default off. */
  persistence?: boolean
}

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** A free TCP port on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/** Resolves once something accepts connections on `port`; rejects after `timeout` ms. */
async function accepting(port: number, timeout: number): Promise<void> {
  const until = Date.now() + timeout
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > until)
      throw new Error(`redis-server did not listen on ${port} in ${timeout} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * Starts a real `redis-server` on a free loopback port, in a directory of its own, and resolves
 * once it accepts connections. Throws with what to install when there is none.
 *
 * @example
 * ```ts
 * const redis = await startRedis({ persistence: true })
 * afterAll(() => redis.close())
 * await redis.kill(); await redis.restart() // the acknowledged writes are back
 * ```
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  if (!hasRedis()) {
    throw new Error(
      `These tests need redis-server and there is none (${BINARY}): apt-get install -y redis-server, or set REDIS_SERVER_PATH.`,
    )
  }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'livedata-redis-'))
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.persistence ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--protected-mode',
    'no',
  ]
  let child: ChildProcess | null = null
  let exited: Promise<void> = Promise.resolve()
  const launch = async (): Promise<void> => {
    const started = spawn(BINARY, args, { stdio: 'ignore' })
    running.add(started)
    child = started
    exited = new Promise<void>((resolve) =>
      started.once('exit', () => {
        running.delete(started)
        resolve()
      }),
    )
    await accepting(port, 5000)
  }
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child === null || child.exitCode !== null || child.signalCode !== null) return
    child.kill(signal)
    await exited
  }
  await launch()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    restart: async () => {
      await end('SIGTERM')
      await launch()
    },
    close: async () => {
      await end('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
