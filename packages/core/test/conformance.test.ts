import { WebSocket } from 'ws'
import { describeTransportConformance } from '../../../testing/transport-conformance/src/index'
import { createLiveClient, longPolling, pollingTransport, sse, websocket } from '../src/index'

// The built-in transports against the conformance suite a third-party transport runs too
// (docs/guides/writing-a-transport.md), with this package's own sources.

describeTransportConformance('websocket', websocket, { createLiveClient, client: { WebSocket } })
describeTransportConformance('sse', sse, { createLiveClient })
describeTransportConformance('long-polling', longPolling, { createLiveClient })
describeTransportConformance('polling', pollingTransport({ interval: 5 }), { createLiveClient })
