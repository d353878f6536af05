// Starts a process of the fan-out section (fan-out-server.ts or fan-out-clients.ts) and talks to
// it over IPC (fan-out-commands.ts).
import { type ChildProcess, fork } from 'node:child_process'
import { type ClockSample, clockOffset, epochNow } from './clock'
import type { FanOutCommand, FanOutReply } from './fan-out-commands'

/** A command without its id, for each kind of command. */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never

/** A process of the fan-out section; see {@link startFanOutChild}. */
export interface FanOutChild {
  /** Where it serves (0 for the clients). */
  port: number
  /** How far its clock runs ahead of ours, in ms (its time − offset = ours). */
  offset: number
  /** Sends a command; resolves with the answer, rejects if it failed or the process died. */
  ask<T extends FanOutReply['type']>(
    command: Unnumbered<FanOutCommand>,
  ): Promise<Extract<FanOutReply, { type: T }>>
  /** Ends the process and waits for it to exit. */
  close(): Promise<void>
}

/**
 * Forks `script` (a fan-out server or client process) with an IPC channel, waits until it is
 * ready, and measures its clock against ours.
 *
 * @example
 * ```ts
 * const server = await startFanOutChild(SERVER, { FANOUT_SERVER: 'ws' }, ['--expose-gc'])
 * const { t } = await server.ask<'published'>({ type: 'publish', seq: 0 })
 * await server.close()
 * ```
 */
export async function startFanOutChild(
  script: string,
  env: Record<string, string>,
  execArgv: string[] = [],
): Promise<FanOutChild> {
  const child: ChildProcess = fork(script, [], {
    env: { ...process.env, ...env },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const kill = () => child.kill('SIGKILL')
  process.once('exit', kill)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const waiting = new Map<
    number,
    { resolve: (reply: FanOutReply) => void; reject: (error: Error) => void }
  >()
  let nextId = 0
  const port = new Promise<number>((resolve, reject) => {
    child.once('exit', (code, signal) => {
      const error = new Error(`${script} exited (${signal ?? code})`)
      reject(error)
      for (const waiter of waiting.values()) waiter.reject(error)
    })
    child.on('message', (reply: FanOutReply) => {
      if (reply.type === 'ready') return resolve(reply.port)
      const waiter = waiting.get(reply.id)
      waiting.delete(reply.id)
      if (reply.type === 'failed') waiter?.reject(new Error(reply.error))
      else waiter?.resolve(reply)
    })
  })
  const ask = <T extends FanOutReply['type']>(command: Unnumbered<FanOutCommand>) => {
    const id = nextId++
    return new Promise<Extract<FanOutReply, { type: T }>>((resolve, reject) => {
      waiting.set(id, {
        resolve: (reply) => resolve(reply as Extract<FanOutReply, { type: T }>),
        reject,
      })
      child.send({ ...command, id })
    })
  }
  const close = async () => {
    process.off('exit', kill)
    if (child.connected) child.disconnect()
    const timer = setTimeout(kill, 5000)
    await exited
    clearTimeout(timer)
  }
  try {
    const listening = await port
    const samples: ClockSample[] = []
    for (let i = 0; i < 20; i++) {
      const sent = epochNow()
      const { now } = await ask<'clock'>({ type: 'clock' })
      samples.push({ sent, theirs: now, back: epochNow() })
    }
    return { port: listening, offset: clockOffset(samples).offset, ask, close }
  } catch (error) {
    await close()
    throw error
  }
}
