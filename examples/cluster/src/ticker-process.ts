// The demo's ticker as a worker (`node dist/ticker-process.js`): a process that serves no
// clients and publishes the prices to Redis with createPublisher, once for the whole cluster;
// every node delivers them. REDIS_URL, HISTORY and INTERVAL (ms, default 250) from the
// environment. It prints `{"publishing":"prices"}` once, then a JSON line each time publishing
// starts or stops failing; SIGTERM stops it.

import { createTicker } from '@livedata/example-server/ticker'
import { createPublisher } from '@livedata/redis'

const interval = Number(process.env.INTERVAL ?? 250)
const history = process.env.HISTORY
const publisher = createPublisher({
  url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  history: history === undefined ? undefined : Number(history),
})
const ticker = createTicker()
let pending = false
let failing = false

const timer = setInterval(() => {
  // One publish at a time: while Redis is slow or down, ticks are skipped, not queued.
  if (pending) return
  pending = true
  publisher.publish('prices', ticker.next()).then(
    () => {
      pending = false
      if (failing) console.log(JSON.stringify({ publishing: 'prices', recovered: true }))
      failing = false
    },
    (error: unknown) => {
      pending = false
      if (!failing) {
        const reason = error instanceof Error ? error.message : String(error)
        console.log(JSON.stringify({ publishing: 'prices', failing: reason }))
      }
      failing = true
    },
  )
}, interval)
console.log(JSON.stringify({ publishing: 'prices' }))

process.once('SIGTERM', () => {
  clearInterval(timer)
  publisher.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
