import type { Server } from 'node:http'
import { createAdaptorServer } from '@hono/node-server'
import { createLiveServer } from '@livedata/server'
import { describeServerConformance } from '@livedata/server-conformance'
import { createConformanceFixture } from '@livedata/server-conformance/fixture'
import { listenOnLoopback } from './helpers/listen'

// live.fetch served on Node through @hono/node-server: the HTTP transports (live.fetch does
// not serve the WebSocket).
const transports = ['sse', 'long-polling', 'polling', 'iframe'] as const

describeServerConformance(
  'live.fetch on Node (@hono/node-server)',
  async () => {
    const { live, control } = createConformanceFixture(createLiveServer, { transports })
    const server = createAdaptorServer({
      fetch: (request: Request) => control(request) ?? live.fetch(request),
    }) as Server
    return listenOnLoopback(server, live)
  },
  { transports },
)
