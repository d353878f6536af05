import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const APP = fileURLToPath(new URL('..', import.meta.url))
const NEXT = fileURLToPath(new URL('../node_modules/next/dist/bin/next', import.meta.url))
const BUILD_ID = fileURLToPath(new URL('../.next/BUILD_ID', import.meta.url))
// `next start` prints `- Local: http://127.0.0.1:<port>` once it listens.
const LISTENING = /- Local:\s+(http:\/\/\S+)/

/** A `next start` of this app's build, in a child process. */
/** The signals that end a test run without an 'exit' event. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

export interface NextServer {
  /** Its origin, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** What it printed, stdout and stderr together. */
  log: string[]
  /** Stops it (SIGTERM, then SIGKILL after 5 s); resolves once the process exited. */
  close(): Promise<void>
}

/**
 * Starts `next start` on a free loopback port (`-p 0`, `-H 127.0.0.1` unless `host` says
 * `localhost`) with `env` added, and resolves once it listens. Needs the app built
 * (`pnpm --filter @livedata/example-next build`, which `pnpm test` runs first).
 *
 * @example
 * ```ts
 * const next = await startNext({ env: { LIVEDATA_CONFORMANCE: '1' }, host: 'localhost' })
 * await fetch(`${next.url}/live/prices`)
 * await next.close()
 * ```
 */
export function startNext(
  options: { env?: Record<string, string>; host?: '127.0.0.1' | 'localhost' } = {},
): Promise<NextServer> {
  const { env = {}, host = '127.0.0.1' } = options
  if (!existsSync(BUILD_ID)) {
    return Promise.reject(
      new Error(
        `examples/next is not built (no ${BUILD_ID}): run pnpm --filter @livedata/example-next build, or pnpm test, which builds it first.`,
      ),
    )
  }
  const child = spawn(process.execPath, [NEXT, 'start', '-p', '0', '-H', host], {
    cwd: APP,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // Should the test runner itself exit first, the server goes with it.
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  // 'exit' does not come for a signal (Ctrl-C, a cancelled CI job): take it down then too, and
  // die of the signal as we would have.
  const onSignal = (signal: NodeJS.Signals) => {
    killOnExit()
    process.kill(process.pid, signal)
  }
  for (const signal of SIGNALS) process.once(signal, onSignal)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const log: string[] = []
  return new Promise<NextServer>((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => fail(new Error('next start did not listen within 20 s')), 20_000)
    const fail = (error: Error) => {
      clearTimeout(timer)
      void stop(child, exited).then(() => reject(new Error(`${error.message}\n${log.join('')}`)))
    }
    const read = (chunk: Buffer) => {
      const text = chunk.toString()
      log.push(text)
      output += text
      const listening = LISTENING.exec(output)
      if (!listening?.[1]) return
      clearTimeout(timer)
      resolve({
        url: listening[1],
        log,
        close: async () => {
          process.off('exit', killOnExit)
          for (const signal of SIGNALS) process.off(signal, onSignal)
          await stop(child, exited)
        },
      })
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', read)
    child.once('error', fail)
    child.once('exit', (code, signal) => fail(new Error(`next start exited (${code ?? signal})`)))
  })
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}
