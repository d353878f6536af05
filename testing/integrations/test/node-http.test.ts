import { createServer } from 'node:http'
import { createLiveServer, type ServerTransport } from '@livedata/server'
import { describeServerConformance } from '@livedata/server-conformance'
import { createConformanceFixture } from '@livedata/server-conformance/fixture'
import { expect } from 'vitest'
import { listenOnLoopback } from './helpers/listen'
import { nodeControl } from './helpers/node-control'

// node:http (docs/guides/node-http.md), every transport, the WebSocket included, in both forms:
// `live.attach(server)`, in front of the server's listeners; and the app's own listener
// `(req, res) => live.handle(req, res) || app(req, res)` with `live.attach(server, { http: false })`
// for the WebSocket only.

const ALL: readonly ServerTransport[] = ['websocket', 'sse', 'long-polling', 'polling', 'iframe']

describeServerConformance(
  'node:http (live.attach)',
  async () => {
    const { live, control } = createConformanceFixture(createLiveServer, { transports: ALL })
    const server = createServer(nodeControl(control))
    live.attach(server)
    return listenOnLoopback(server, live)
  },
  { transports: ALL },
)

// How many requests live.handle served inside the listener: none would, were attach in front.
let handled = 0

describeServerConformance(
  'node:http (live.handle(req, res) || app(req, res), live.attach(server, { http: false }))',
  async () => {
    const { live, control } = createConformanceFixture(createLiveServer, { transports: ALL })
    const app = nodeControl(control)
    const server = createServer((req, res) => {
      if (live.handle(req, res)) handled++
      else app(req, res)
    })
    live.attach(server, { http: false })
    return listenOnLoopback(server, live)
  },
  // With attach { http: false }, the suite's live HTTP requests went through the listener's
  // live.handle.
  { transports: ALL, after: () => expect(handled).toBeGreaterThan(50) },
)
