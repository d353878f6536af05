import WebSocket from 'ws'
import { CONFORMANCE_RULES } from './fixture'
import { EventQueue } from './queue'
import type { ChannelSpec, WireEvent } from './wire-event'

/** A server → client frame, parsed. */
export type Frame = { type: string } & Record<string, unknown>

/** A WebSocket to the live path, its frames queued as they come. */
export interface OpenSocket {
  frames: EventQueue<Frame>
  /** Sends `frame` as JSON text. */
  send(frame: Record<string, unknown>): void
  /** Sends `text` as it is (a malformed frame, say). */
  sendText(text: string): void
  /** Calls `listener` with every frame from now on (besides queueing it). */
  listen(listener: (frame: Frame) => void): void
  /** Stops reading from the socket (TCP backpressure reaches the server), or reads again. */
  pause(): void
  resume(): void
  /** Resolves with the close code once the socket closed. */
  closed: Promise<number>
  /** Whether the socket is still open. */
  isOpen(): boolean
  /** Cuts the socket at once (no closing handshake), as a network failure would. */
  cut(): void
}

/** The answer to an upgrade: the socket, or the refusal's status. */
export type Upgrade = { ok: true; socket: OpenSocket } | { ok: false; status: number }

/**
 * Opens a WebSocket at the live path of `base` (an `http://` origin); resolves once it is open
 * or refused.
 *
 * @example
 * ```ts
 * const upgrade = await openSocket('http://127.0.0.1:3000')
 * if (upgrade.ok) upgrade.socket.send({ type: 'subscribe', channel: 'news', lastEventId: null })
 * ```
 */
export function openSocket(
  base: string,
  origin?: string,
  headers: Record<string, string> = {},
): Promise<Upgrade> {
  const url = new URL(CONFORMANCE_RULES.path, base)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  const ws = new WebSocket(url, {
    headers: { ...headers, ...(origin !== undefined && { origin }) },
  })
  const frames = new EventQueue<Frame>()
  const listeners: Array<(frame: Frame) => void> = []
  ws.on('message', (data, binary) => {
    const frame = binary ? { type: '!binary' } : (JSON.parse(String(data)) as Frame)
    frames.push(frame)
    for (const listener of listeners) listener(frame)
  })
  const closed = new Promise<number>((resolve) => {
    ws.on('close', (code, reason) => {
      frames.end(`the socket closed (${code} ${String(reason)})`)
      resolve(code)
    })
  })
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        ok: true,
        socket: {
          frames,
          send: (frame) => ws.send(JSON.stringify(frame)),
          sendText: (text) => ws.send(text),
          listen: (listener) => listeners.push(listener),
          pause: () => ws.pause(),
          resume: () => ws.resume(),
          closed,
          isOpen: () => ws.readyState === WebSocket.OPEN,
          cut: () => ws.terminate(),
        },
      }),
    )
    ws.once('unexpected-response', (_request, response) => {
      resolve({ ok: false, status: response.statusCode ?? 0 })
      response.resume()
      ws.terminate()
    })
    ws.once('error', (error) => reject(error))
  })
}

/** Subscribes `specs` on `socket` and reads its frames as {@link WireEvent}s. */
export function subscribeSocket(
  socket: OpenSocket,
  specs: readonly ChannelSpec[],
): EventQueue<WireEvent> {
  const events = new EventQueue<WireEvent>()
  socket.listen((frame) => {
    const channel = String(frame.channel)
    if (frame.type === 'subscribed') {
      events.push({ type: 'open', channel })
      if (typeof frame.cursor === 'string') {
        events.push({ type: 'cursor', channel, cursor: frame.cursor })
      }
    } else if (frame.type === 'heartbeat') {
      events.push({ type: 'heartbeat', channel: null })
    } else if (frame.type === 'gap') {
      events.push({ type: 'gap', channel })
    } else if (frame.type === 'message') {
      const event = typeof frame.event === 'string' ? frame.event : null
      events.push({ type: 'message', channel, id: String(frame.id), event, data: frame.data })
    } else if (frame.type === 'error' && frame.channel !== undefined) {
      events.push({ type: 'refused', channel, code: String(frame.code) })
    }
  })
  for (const { channel, after, replay } of specs) {
    socket.send({
      type: 'subscribe',
      channel,
      lastEventId: after ?? null,
      ...(replay !== undefined && { replay }),
    })
  }
  return events
}
