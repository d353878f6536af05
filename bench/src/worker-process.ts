// A worker of the several-nodes section as its own process, forked by nodes.ts with an IPC
// channel: it serves no clients and publishes with `createPublisher` from @livedata/redis to
// REDIS_URL (HISTORY messages per channel) what the bench asks (publishing.ts), as a cron job
// or a queue consumer would. Disconnecting the IPC channel ends it.
import { createPublisher } from '@livedata/redis'
import { serveCommands } from './publishing'

const publisher = createPublisher({
  url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  history: Number(process.env.HISTORY ?? 1000),
})

serveCommands(
  (channel, data) => publisher.publish(channel, data),
  0,
  () => publisher.close(),
)
