// One server node of the several-nodes section as its own process, forked by nodes.ts with an
// IPC channel: a live server on a free loopback port, on a Redis backplane when REDIS_URL is
// set, in memory otherwise; HISTORY messages per channel. It says `listening` once it serves,
// then publishes with `live.publish` what the bench asks (node-commands.ts), each payload
// stamped with this process's clock. Disconnecting the IPC channel ends it.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { redisBackplane } from '@livedata/redis'
import { createLiveServer } from '@livedata/server'
import { epochNow } from './clock'
import type { BenchPayload, NodeCommand, NodeReply } from './node-commands'

const history = Number(process.env.HISTORY ?? 1000)
const redisUrl = process.env.REDIS_URL
const live = redisUrl
  ? createLiveServer({ history, backplane: redisBackplane({ url: redisUrl, history }) })
  : createLiveServer({ history })
const publish = (channel: string, data: BenchPayload): string | Promise<string> =>
  live.publish(channel, data)

const http = createServer()
live.attach(http)
http.listen(0, '127.0.0.1')
await once(http, 'listening')

const reply = (message: NodeReply): void => void process.send?.(message)

const payload = (seq: number): BenchPayload => ({
  symbol: 'AAPL',
  price: 191.23 + (seq % 100) / 100,
  seq,
  t: epochNow(),
})

/** Publishes and keeps what it returned, to wait for the backplane's answers at the end. */
function publisher(channel: string) {
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

async function run(command: NodeCommand): Promise<NodeReply> {
  if (command.type === 'clock') return { type: 'clock', id: command.id, now: epochNow() }
  const out = publisher(command.channel)
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

process.on('message', (command: NodeCommand) => {
  void run(command).then(reply)
})
process.once('disconnect', () => {
  live.close().finally(() => process.exit(0))
})
reply({ type: 'listening', port: (http.address() as AddressInfo).port })
