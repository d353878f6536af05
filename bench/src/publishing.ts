// The publishing side of a bench process (a node or a worker): it answers the bench's commands
// (node-commands.ts) over the IPC channel, stamping each payload with this process's clock.
import { epochNow } from './clock'
import type { BenchPayload, NodeCommand, NodeReply } from './node-commands'

/** Publishes one message; returns its id, or a promise of it on a backplane. */
export type Publish = (channel: string, data: BenchPayload) => string | Promise<string>

const payload = (seq: number): BenchPayload => ({
  symbol: 'AAPL',
  price: 191.23 + (seq % 100) / 100,
  seq,
  t: epochNow(),
})

/** Publishes and keeps what it returned, to wait for the backplane's answers at the end. */
function publisher(publish: Publish, channel: string) {
  const pending: Promise<unknown>[] = []
  let failed = 0
  let error: string | undefined
  const fail = (reason: unknown) => {
    failed++
    error ??= reason instanceof Error ? reason.message : String(reason)
  }
  return {
    publish(seq: number) {
      try {
        const id = publish(channel, payload(seq))
        if (typeof id !== 'string') pending.push(id.catch(fail))
      } catch (reason) {
        fail(reason)
      }
    },
    async settled() {
      await Promise.all(pending)
      return { failed, error }
    },
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

async function run(publish: Publish, command: NodeCommand): Promise<NodeReply> {
  if (command.type === 'clock') return { type: 'clock', id: command.id, now: epochNow() }
  const out = publisher(publish, command.channel)
  if (command.type === 'burst') {
    for (let seq = 0; seq < command.count; seq++) {
      out.publish(seq)
      if (seq % command.burst === command.burst - 1) await tick()
    }
  } else {
    // Each wake-up publishes what is due by now: the rate holds whatever the timer's slack.
    const started = performance.now()
    let seq = 0
    while (seq < command.count) {
      const due = Math.min(
        command.count,
        Math.floor(((performance.now() - started) * command.rate) / 1000),
      )
      while (seq < due) out.publish(seq++)
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
  }
  return { type: 'done', id: command.id, ...(await out.settled()) }
}

/**
 * Tells the bench this process is ready (`port`: where it serves, 0 for a worker), answers its
 * commands with `publish`, and calls `close` then exits when the bench disconnects.
 *
 * @example
 * ```ts
 * serveCommands((channel, data) => live.publish(channel, data), port, () => live.close())
 * ```
 */
export function serveCommands(publish: Publish, port: number, close: () => Promise<void>): void {
  const reply = (message: NodeReply): void => void process.send?.(message)
  process.on('message', (command: NodeCommand) => {
    void run(publish, command).then(reply)
  })
  process.once('disconnect', () => {
    close().finally(() => process.exit(0))
  })
  reply({ type: 'listening', port })
}
