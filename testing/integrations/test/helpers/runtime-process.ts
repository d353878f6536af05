import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// A server process in another runtime (Bun, Deno), started from a fixture script on a free port
// and killed with everything it started: no process outlives the test file.

/** testing/integrations, where the runtimes resolve @livedata/server from node_modules. */
export const integrationsRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The runtimes the fixtures run on, each a binary installed from npm by `pnpm install`. */
export type Runtime = 'bun' | 'deno'

/**
 * The real binary of `runtime`, not `node_modules/.bin`'s shell wrapper (whose child would
 * outlive a kill of the wrapper). Throws a sentence saying how to get it when it is missing.
 */
export function runtimeBinary(runtime: Runtime): string {
  const path =
    runtime === 'bun'
      ? join(integrationsRoot, 'node_modules', 'bun', 'bin', 'bun.exe')
      : join(integrationsRoot, 'node_modules', 'deno', 'deno')
  if (!existsSync(path)) {
    throw new Error(
      `${runtime} is missing at ${path}: it comes from npm with \`pnpm install\` (the "${runtime}" ` +
        'dependency of @livedata/integrations, whose install script fetches the binary)',
    )
  }
  return path
}

/** A server process that printed `listening <origin>`. */
export interface RuntimeProcess {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** What the process wrote to stdout and stderr so far, for failure messages. */
  output(): string
  /** Resolves once the process has exited and its output is complete. */
  readonly closed: Promise<void>
  /** Kills the process group and resolves once the process has exited. Idempotent. */
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()

// A test run that ends without afterAll (a crash, a timeout of the whole run) still takes its
// servers down with it.
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL')
})
// Interrupted (Ctrl-C, a cancelled CI job): 'exit' does not come for a signal, so take the
// servers down here, then die of the signal as we would have.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const child of running) killGroup(child, 'SIGKILL')
    process.kill(process.pid, signal)
  })
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // Already gone.
  }
}

/**
 * Starts `args` (a fixture script and its flags) under `runtime` in testing/integrations, and
 * resolves once it prints `listening http://127.0.0.1:<port>` (the fixtures listen on port 0,
 * so every file gets a free port). Rejects with the process's output if it exits first or
 * stays silent for `timeout` ms (the process is then killed).
 * @example
 * ```ts
 * const server = await startRuntime('bun', ['fixtures/bun.ts'])
 * afterAll(() => server.stop())
 * await fetch(`${server.origin}/live/prices?transport=polling`)
 * ```
 */
export function startRuntime(
  runtime: Runtime,
  args: readonly string[],
  { timeout = 15_000, env = {} }: { timeout?: number; env?: Record<string, string> } = {},
): Promise<RuntimeProcess> {
  const child = spawn(runtimeBinary(runtime), args, {
    cwd: integrationsRoot,
    // A group of its own, so that stop() reaches anything the runtime starts.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  })
  running.add(child)
  let output = ''
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child)
      resolve()
    })
    child.once('error', () => {
      running.delete(child)
      resolve()
    })
  })
  let stopping = false
  const stop = async (): Promise<void> => {
    stopping = true
    killGroup(child, 'SIGTERM')
    const late = setTimeout(() => killGroup(child, 'SIGKILL'), 2_000)
    await exited
    clearTimeout(late)
  }
  return new Promise<RuntimeProcess>((resolve, reject) => {
    let settled = false
    const fail = (why: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      void stop().then(() =>
        reject(new Error(`${runtime} ${args.join(' ')} ${why}; its output:\n${output}`)),
      )
    }
    const timer = setTimeout(
      () => fail(`printed no "listening" line within ${timeout} ms`),
      timeout,
    )
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /^listening (http:\/\/\S+)$/m.exec(output)
      if (!match || settled) return
      settled = true
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      // Keep draining, so that a chatty server never blocks on a full pipe.
      child.stdout?.on('data', (more: Buffer) => {
        output += more.toString()
      })
      // A server that dies under the tests says why, not only "connection refused".
      child.once('close', (code, signal) => {
        if (!stopping) console.error(`${runtime} exited (${signal ?? code}) mid-run:\n${output}`)
      })
      resolve({ origin: match[1] as string, output: () => output, closed, stop })
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.once('error', (error) => fail(`could not start (${error.message})`))
    // 'close', not 'exit': its output is complete by then.
    child.once('close', (code, signal) => fail(`exited (${signal ?? code}) before listening`))
  })
}
