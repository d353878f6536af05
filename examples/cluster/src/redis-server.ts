import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

/** A redis-server the demo started; see {@link startRedisServer}. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  url: string
  port: number
  /** Its working directory, removed by {@link RedisServer.stop}. */
  dir: string
  /** The process id. */
  pid: number
  /** Its version, as it printed it (`7.0.15`), or `''`. */
  version: string
  /** Stops it (SIGTERM, SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>
}

/** Thrown by {@link startRedisServer} when there is no `redis-server` to run. */
export class RedisServerMissingError extends Error {
  override readonly name = 'RedisServerMissingError'
  constructor(binary: string, who: string) {
    super(
      `${who} needs redis-server and there is none (${binary}): install it with apt-get install -y redis-server (Debian, Ubuntu) or brew install redis (macOS), or set REDIS_SERVER_PATH.`,
    )
  }
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Who needs it, for the message when there is none. Default `'pnpm demo:cluster'`. */
  who?: string
  /** The start of its temporary directory's name. Default `'livedata-cluster-'`. */
  dirPrefix?: string
}

/** A port nothing listens on now, on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()))
    })
  })
}

/** Runs redis-server on `port`; resolves once it accepts connections, rejects if it exits first. */
function launch(
  binary: string,
  port: number,
  dir: string,
  who: string,
): Promise<{ child: ChildProcess; version: string }> {
  const child = spawn(
    binary,
    // No persistence: the demo's streams live as long as the demo.
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const said: string[] = []
  let version = ''
  return new Promise((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new RedisServerMissingError(binary, who) : error),
    )
    child.once('exit', (code, signal) =>
      reject(new Error(`redis-server exited (${signal ?? code}): ${said.slice(-3).join(' | ')}`)),
    )
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream as NodeJS.ReadableStream }).on('line', (line) => {
        said.push(line)
        if (said.length > 20) said.shift()
        version ||= /version=([\d.]+)/.exec(line)?.[1] ?? ''
        if (/Ready to accept connections/.test(line)) resolve({ child, version })
      })
    }
  })
}

/**
 * Starts a `redis-server` (from `PATH`, or `REDIS_SERVER_PATH`) on a free loopback port, in a
 * temporary directory of its own, without persistence. Throws {@link RedisServerMissingError}
 * when there is none.
 *
 * @example
 * ```ts
 * const redis = await startRedisServer()
 * console.log(redis.url) // redis://127.0.0.1:41234
 * await redis.stop()
 * ```
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const { who = 'pnpm demo:cluster', dirPrefix = 'livedata-cluster-' } = options
  const binary = process.env.REDIS_SERVER_PATH ?? 'redis-server'
  const dir = mkdtempSync(join(tmpdir(), dirPrefix))
  // A free port may be taken between the probe and redis-server's bind: try another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    let started: { child: ChildProcess; version: string }
    try {
      started = await launch(binary, port, dir, who)
    } catch (error) {
      if (attempt < 3 && !(error instanceof RedisServerMissingError)) continue
      rmSync(dir, { recursive: true, force: true })
      throw error
    }
    const { child, version } = started
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
    })
    // Nobody reads its output past start-up; it must not fill the pipe.
    child.stdout?.resume()
    child.stderr?.resume()
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      dir,
      pid: child.pid as number,
      version,
      async stop() {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
}
