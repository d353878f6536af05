// The server of the fan-out section as its own process (run with --expose-gc), forked by
// fan-out.ts with an IPC channel: FANOUT_SERVER says which (an @livedata server, socket.io or a
// raw `ws` broadcast), on a free loopback port. It publishes, counts its connections and
// measures its memory when the bench asks. Disconnecting the IPC channel ends it.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLiveServer } from '@livedata/server'
import { epochNow } from './clock'
import type {
  FanOutCommand,
  FanOutPayload,
  FanOutReply,
  FanOutServerKind,
} from './fan-out-commands'
import { rawBroadcast } from './raw-broadcasts'

const kind = process.env.FANOUT_SERVER as FanOutServerKind
const http = createServer()

/** Sends one message to every connected client, the way each server is meant to. */
function publisherOf(kind: FanOutServerKind): (payload: FanOutPayload) => void {
  if (kind === 'livedata') {
    const live = createLiveServer({ history: 100 })
    live.attach(http)
    return (payload) => void live.publish('fanout', payload)
  }
  return rawBroadcast(kind, http)
}

const publish = publisherOf(kind)
http.listen(0, '127.0.0.1', 4096)
await once(http, 'listening')

const collect = (globalThis as { gc?: () => void }).gc
/** Heap and RSS once garbage collection has nothing left to take. */
async function memory() {
  if (!collect) throw new Error('the fan-out server needs node --expose-gc')
  for (let i = 0; i < 4; i++) {
    collect()
    await new Promise((resolve) => setImmediate(resolve))
  }
  const { heapUsed, rss } = process.memoryUsage()
  return { heapUsed, rss }
}

async function answer(command: FanOutCommand): Promise<FanOutReply> {
  const { id } = command
  switch (command.type) {
    case 'clock':
      return { type: 'clock', id, now: epochNow() }
    case 'memory':
      return { type: 'memory', id, ...(await memory()) }
    case 'connections': {
      const count = await new Promise<number>((resolve, reject) =>
        http.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      )
      return { type: 'connections', id, count }
    }
    case 'publish': {
      const t = epochNow()
      publish({ symbol: 'AAPL', price: 191.23, seq: command.seq, t })
      return { type: 'published', id, t }
    }
    default:
      return { type: 'failed', id, error: `the server does not do ${command.type}` }
  }
}

process.on('message', (command: FanOutCommand) => {
  answer(command).then(
    (reply) => process.send?.(reply),
    (error: unknown) => process.send?.({ type: 'failed', id: command.id, error: String(error) }),
  )
})
process.once('disconnect', () => process.exit(0))
process.send?.({ type: 'ready', port: (http.address() as AddressInfo).port })
