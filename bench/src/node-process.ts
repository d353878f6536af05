// One server node of the several-nodes section as its own process, forked by nodes.ts with an
// IPC channel: a live server on a free loopback port, on a Redis backplane when REDIS_URL is
// set, in memory otherwise; HISTORY messages per channel. It publishes with `live.publish`
// what the bench asks (publishing.ts). Disconnecting the IPC channel ends it.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { redisBackplane } from '@livedata/redis'
import { createLiveServer } from '@livedata/server'
import { serveCommands } from './publishing'

const history = Number(process.env.HISTORY ?? 1000)
const redisUrl = process.env.REDIS_URL
const live = redisUrl
  ? createLiveServer({ history, backplane: redisBackplane({ url: redisUrl, history }) })
  : createLiveServer({ history })

const http = createServer()
live.attach(http)
http.listen(0, '127.0.0.1')
await once(http, 'listening')

serveCommands(
  (channel, data) => live.publish(channel, data),
  (http.address() as AddressInfo).port,
  () => live.close(),
)
