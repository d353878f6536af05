// The clients of the fan-out section as their own process, forked by fan-out.ts with an IPC
// channel: FANOUT_CLIENT says how each connection connects (fan-out-connections.ts), to
// FANOUT_ORIGIN. It opens as many connections as the bench asks and tells when every one has a
// message, by its own clock. Disconnecting the IPC channel ends it.
import { epochNow } from './clock'
import type { FanOutClientKind, FanOutCommand, FanOutReply } from './fan-out-commands'
import { connectors, type FanOutConnection } from './fan-out-connections'

const connect = connectors[process.env.FANOUT_CLIENT as FanOutClientKind]
const origin = process.env.FANOUT_ORIGIN ?? ''
/** Connections being opened at once (the server's listen backlog is larger). */
const CONCURRENCY = 200

const connections: FanOutConnection[] = []
/** Per message: how many connections have it, when the last one got it, who waits for all. */
const arrivals = new Map<number, { count: number; last: number; wake?: () => void }>()

function arrived(seq: number) {
  const now = epochNow()
  let entry = arrivals.get(seq)
  if (!entry) {
    entry = { count: 0, last: now }
    arrivals.set(seq, entry)
  }
  entry.count++
  entry.last = now
  if (entry.count >= connections.length) entry.wake?.()
}

async function open(count: number) {
  let next = 0
  const opener = async () => {
    while (next < count) {
      next++
      connections.push(await connect(origin, (payload) => arrived(payload.seq)))
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, opener))
}

function allHave(seq: number): Promise<number> {
  let entry = arrivals.get(seq)
  if (!entry) {
    entry = { count: 0, last: 0 }
    arrivals.set(seq, entry)
  }
  const waited = entry
  if (waited.count >= connections.length) return Promise.resolve(waited.last)
  return new Promise((resolve) => {
    waited.wake = () => resolve(waited.last)
  })
}

async function answer(command: FanOutCommand): Promise<FanOutReply> {
  const { id } = command
  switch (command.type) {
    case 'clock':
      return { type: 'clock', id, now: epochNow() }
    case 'open':
      await open(command.count)
      return { type: 'opened', id }
    case 'expect':
      return { type: 'arrived', id, last: await allHave(command.seq) }
    case 'close':
      for (const connection of connections.splice(0)) connection.close()
      return { type: 'closed', id }
    default:
      return { type: 'failed', id, error: `the clients do not do ${command.type}` }
  }
}

process.on('message', (command: FanOutCommand) => {
  answer(command).then(
    (reply) => process.send?.(reply),
    (error: unknown) => process.send?.({ type: 'failed', id: command.id, error: String(error) }),
  )
})
process.once('disconnect', () => process.exit(0))
process.send?.({ type: 'ready', port: 0 })
