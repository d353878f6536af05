import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/** A process of the demo that speaks JSON lines on stdout; see {@link startJsonProcess}. */
export interface JsonProcess {
  readonly name: string
  readonly pid: number
  /** Sends SIGTERM and resolves once it exited (SIGKILL after `grace` ms). */
  stop(grace?: number): Promise<void>
  /** Whether it exited. */
  readonly exited: boolean
}

/** Options of {@link startJsonProcess}. */
export interface JsonProcessOptions {
  name: string
  /** The script, run with this Node. */
  script: string
  env: Record<string, string>
  /** Resolves the start once a line matches; its value is what the start resolves with. */
  ready: (line: Record<string, unknown>) => boolean
  /** Every JSON line it prints, after start-up too. */
  onLine?: (line: Record<string, unknown>) => void
  /** It exited (after start-up). */
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void
}

/**
 * Runs `script` with this Node as a child process (stderr passed through) and resolves once it
 * printed a line `ready` accepts, with that line; rejects if it exits first.
 *
 * @example
 * ```ts
 * const [node, said] = await startJsonProcess({ name: 'node-1', script, env, ready: (l) => 'listening' in l })
 * ```
 */
export function startJsonProcess(
  options: JsonProcessOptions,
): Promise<[JsonProcess, Record<string, unknown>]> {
  const child: ChildProcess = spawn(process.execPath, [options.script], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let started = false
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      if (started) options.onExit?.(code, signal)
      resolve()
    })
  })
  const handle: JsonProcess = {
    name: options.name,
    pid: child.pid as number,
    get exited() {
      return child.exitCode !== null || child.signalCode !== null
    },
    async stop(grace = 5000) {
      if (handle.exited) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), grace)
      await exited
      clearTimeout(timer)
    },
  }
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      if (!started) reject(new Error(`${options.name} exited (${signal ?? code}) while starting`))
    })
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      let line: Record<string, unknown>
      try {
        line = JSON.parse(text) as Record<string, unknown>
      } catch {
        line = { log: text }
      }
      if (!started && options.ready(line)) {
        started = true
        resolve([handle, line])
      }
      options.onLine?.(line)
    })
  })
}
