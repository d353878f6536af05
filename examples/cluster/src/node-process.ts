// One cluster node as a process (`node dist/node-process.js`), for the demo and the tests:
// NODE_NAME, REDIS_URL, PORT (0: a free one), HISTORY from the environment. It serves the
// demo's apps (React at /, /vue/, /svelte/) beside /live and /healthz. It prints
// `{"listening":<port>}` once it serves, and a JSON line `{"message":…}` for each message a
// client sends (stdout carries JSON lines only); SIGTERM closes it gracefully (its clients
// resume on another node); SIGKILL is a crash.
import { createAppsHandler, DEMO_APPS } from '@livedata/example-server/apps'
import { startClusterNode } from './node'

const name = process.env.NODE_NAME ?? 'node'
const history = process.env.HISTORY
const node = await startClusterNode({
  name,
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  port: Number(process.env.PORT ?? 0),
  history: history === undefined ? undefined : Number(history),
  handle: createAppsHandler(DEMO_APPS, (line) => console.log(JSON.stringify({ log: line }))),
})
node.live.on('message', (channel, data, context) => {
  console.log(JSON.stringify({ message: { channel, event: context.event, data } }))
})
console.log(JSON.stringify({ listening: node.port }))
process.once('SIGTERM', () => {
  node.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
