// One server node of the several-nodes and latency sections as its own process, forked by
// nodes.ts with an IPC channel: a live server on a free loopback port, on a Redis backplane when
// REDIS_URL is set, in memory otherwise; HISTORY messages per channel. NODE_SERVER=ws, sse or
// socket.io serves a raw server instead (raw-broadcasts.ts), whose publish goes to every client
// whatever the channel. It publishes what the bench asks (publishing.ts). Disconnecting the IPC
// channel ends it.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { redisBackplane } from '@livedata/redis'
import { createLiveServer } from '@livedata/server'
import type { NodeServerKind } from './node-commands'
import { type Publish, serveCommands } from './publishing'
import { rawBroadcast } from './raw-broadcasts'

const history = Number(process.env.HISTORY ?? 1000)
const redisUrl = process.env.REDIS_URL
const kind = (process.env.NODE_SERVER ?? 'livedata') as NodeServerKind

const http = createServer()
let publish: Publish
let close = async () => {}
if (kind === 'livedata') {
  const live = redisUrl
    ? createLiveServer({ history, backplane: redisBackplane({ url: redisUrl, history }) })
    : createLiveServer({ history })
  live.attach(http)
  publish = (channel, data) => live.publish(channel, data)
  close = () => live.close()
} else {
  const broadcast = rawBroadcast(kind, http)
  publish = (_channel, data) => {
    broadcast(data)
    return String(data.seq)
  }
}
http.listen(0, '127.0.0.1')
await once(http, 'listening')

serveCommands(publish, (http.address() as AddressInfo).port, close)
