import { createServer } from 'node:http'
import { createLiveServer } from '@livedata/server'
import { describeServerConformance } from '@livedata/server-conformance'
import { createConformanceFixture } from '@livedata/server-conformance/fixture'
import { listenOnLoopback } from './helpers/listen'
import { nodeControl } from './helpers/node-control'

// live.attach on node:http: every transport, the WebSocket included.
describeServerConformance(
  'node:http (live.attach)',
  async () => {
    const { live, control } = createConformanceFixture(createLiveServer)
    const server = createServer(nodeControl(control))
    live.attach(server)
    return listenOnLoopback(server, live)
  },
  { transports: ['websocket', 'sse', 'long-polling', 'polling', 'iframe'] },
)
