// One connection of the fan-out section's client process (and of the latency section's raw
// contenders), per kind of client, each as little as a client of that protocol can be: raw `ws`
// sockets (plain, or speaking @livedata's WebSocket protocol), raw HTTP streams for a raw SSE
// server and for @livedata SSE, a long-poll loop for @livedata long polling, and
// socket.io-client for socket.io.
import { Agent, type ClientRequest, get, type IncomingMessage } from 'node:http'
import { io } from 'socket.io-client'
import { WebSocket } from 'ws'
import type { FanOutClientKind, FanOutPayload } from './fan-out-commands'

/** An open, subscribed connection. */
export interface FanOutConnection {
  close(): void
}

/** Opens one connection to `origin`; resolves once it is subscribed. */
export type Connect = (
  origin: string,
  onMessage: (payload: FanOutPayload) => void,
) => Promise<FanOutConnection>

const CHANNEL = 'fanout'

/** A plain `ws` client of a raw `ws` broadcast: every frame is one message. */
const rawWs: Connect = (origin, onMessage) =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(origin.replace('http', 'ws'), { perMessageDeflate: false })
    socket.on('message', (data) => onMessage(JSON.parse(String(data)) as FanOutPayload))
    socket.once('open', () => resolve({ close: () => socket.terminate() }))
    socket.once('error', reject)
  })

/**
 * A raw HTTP stream of text/event-stream at `url`, split into events (the text between blank
 * lines), each handed to `onEvent` with the request; resolves with the request once the answer
 * is a 200.
 */
function eventStream(
  url: string,
  onEvent: (event: string, request: ClientRequest) => void,
): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, headers: { accept: 'text/event-stream' } })
    request.once('error', reject)
    request.once('response', (response: IncomingMessage) => {
      if (response.statusCode !== 200) return reject(new Error(`SSE: ${response.statusCode}`))
      response.setEncoding('utf8')
      let buffer = ''
      response.on('data', (chunk: string) => {
        buffer += chunk
        let end = buffer.indexOf('\n\n')
        while (end !== -1) {
          const event = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          onEvent(event, request)
          end = buffer.indexOf('\n\n')
        }
      })
      resolve(request)
    })
  })
}

/** A raw HTTP stream of a raw SSE server: split events, take the data line, parse it. */
const rawSse: Connect = async (origin, onMessage) => {
  const request = await eventStream(`${origin}/`, (event) => {
    if (event.startsWith('data: ')) onMessage(JSON.parse(event.slice(6)) as FanOutPayload)
  })
  // The server added the stream before it answered: it is in the broadcast from here.
  return { close: () => request.destroy() }
}

/** A `ws` client speaking @livedata's WebSocket protocol: one subscribe frame. */
const livedataWebSocket: Connect = (origin, onMessage) =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(`${origin.replace('http', 'ws')}/live`, {
      perMessageDeflate: false,
    })
    socket.once('open', () =>
      socket.send(JSON.stringify({ type: 'subscribe', channel: CHANNEL, lastEventId: null })),
    )
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; data?: FanOutPayload }
      if (frame.type === 'message') onMessage(frame.data as FanOutPayload)
      else if (frame.type === 'subscribed') resolve({ close: () => socket.terminate() })
      else if (frame.type === 'error') reject(new Error(String(data)))
    })
    socket.once('error', reject)
  })

/** A raw HTTP stream of @livedata's SSE: split events, take the data line, parse it. */
const livedataSse: Connect = (origin, onMessage) =>
  new Promise((resolve, reject) => {
    eventStream(`${origin}/live/${CHANNEL}`, (event, request) => {
      // The cursor event of a fresh subscriber: the server follows the channel now.
      if (event.includes('event: livedata.cursor')) resolve({ close: () => request.destroy() })
      else if (!event.includes('\nevent: ')) {
        const data = event.indexOf('data: ')
        if (data !== -1) onMessage(JSON.parse(event.slice(data + 6)) as FanOutPayload)
      }
    }).catch(reject)
  })

/** Keep-alive sockets for the long-poll loops: one per client, reused by each next poll. */
const pollAgent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY })

interface PollAnswer {
  cursor: string
  messages: { data: FanOutPayload }[]
}

/** One long poll; `sent` gets the request, to abort it on close. */
function poll(
  origin: string,
  lastEventId?: string,
  sent?: (request: ClientRequest) => void,
): Promise<PollAnswer> {
  const after = lastEventId === undefined ? '' : `&lastEventId=${encodeURIComponent(lastEventId)}`
  return new Promise((resolve, reject) => {
    const request = get(`${origin}/live/${CHANNEL}?transport=long-polling${after}`, {
      agent: pollAgent,
    })
    sent?.(request)
    request.once('error', reject)
    request.once('response', (response: IncomingMessage) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
      })
      response.once('end', () => {
        if (response.statusCode !== 200) reject(new Error(`long poll: ${response.statusCode}`))
        else resolve(JSON.parse(body) as PollAnswer)
      })
    })
  })
}

/**
 * @livedata long polling: a first request without an id answers the cursor at once; each next
 * one, from the cursor, is held until a message comes; then the loop asks again at once.
 */
const livedataLongPolling: Connect = async (origin, onMessage) => {
  let closed = false
  let current: ClientRequest | undefined
  let cursor = (await poll(origin)).cursor
  void (async () => {
    while (!closed) {
      try {
        const answer = await poll(origin, cursor, (request) => {
          current = request
        })
        for (const message of answer.messages) onMessage(message.data)
        cursor = answer.cursor
      } catch {
        if (!closed) await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  })()
  return {
    close() {
      closed = true
      current?.destroy()
    },
  }
}

/** socket.io-client over one transport, a connection of its own (`forceNew`). */
const socketIo =
  (transport: 'websocket' | 'polling'): Connect =>
  (origin, onMessage) =>
    new Promise((resolve, reject) => {
      const socket = io(origin, { transports: [transport], forceNew: true, reconnection: false })
      socket.on('m', onMessage)
      socket.once('connect', () => resolve({ close: () => socket.disconnect() }))
      socket.once('connect_error', reject)
    })

/** How each kind of client connects. */
export const connectors: Record<FanOutClientKind, Connect> = {
  ws: rawWs,
  sse: rawSse,
  'livedata websocket': livedataWebSocket,
  'livedata sse': livedataSse,
  'livedata long-polling': livedataLongPolling,
  'socket.io websocket': socketIo('websocket'),
  'socket.io polling': socketIo('polling'),
}
