import { describeTransportConformance } from '@livedata/transport-conformance'
import { EventSource } from 'eventsource'
import { eventSourceTransport } from '../src/index'

// The same suite the built-in transports pass (packages/core/test/conformance.test.ts). Node 20
// has no EventSource: the `eventsource` package's is the standard one.
describeTransportConformance('eventsource', eventSourceTransport({ EventSource }))
