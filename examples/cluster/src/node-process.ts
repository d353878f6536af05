// One cluster node as a process (`node dist/node-process.js`), for the demo and the tests:
// NODE_NAME, REDIS_URL, PORT (0: a free one), HISTORY from the environment. It prints
// `{"listening":<port>}` once it serves; SIGTERM closes it gracefully (its clients resume on
// another node); SIGKILL is a crash.
import { startClusterNode } from './node'

const history = process.env.HISTORY
const node = await startClusterNode({
  name: process.env.NODE_NAME ?? 'node',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  port: Number(process.env.PORT ?? 0),
  history: history === undefined ? undefined : Number(history),
})
console.log(JSON.stringify({ listening: node.port }))
process.once('SIGTERM', () => {
  node.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
