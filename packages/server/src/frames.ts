import type { StoredMessage } from './history'
import { frameStart, IFRAME_TYPES, MULTI_EVENT_SEPARATOR } from './protocol'

// Every frame of a message is built once, on first use, and shared by every subscriber.

/** The text/event-stream frame. JSON holds no raw CR or LF, so one `data:` line carries it. */
export function sseFrame(message: StoredMessage): string {
  if (message.sseFrame === undefined) {
    const event = message.event === undefined ? '' : `event: ${message.event}\n`
    message.sseFrame = `id: ${message.id}\n${event}data: ${message.json}\n\n`
  }
  return message.sseFrame
}

/**
 * The text/event-stream frame of a multiplexed stream: the event name is the channel, or
 * `<channel>/<event>` for a named event, so one stream carries every channel.
 */
export function multiSseFrame(message: StoredMessage): string {
  if (message.multiSseFrame === undefined) {
    const { channel, event } = message
    const name = event === undefined ? channel : `${channel}${MULTI_EVENT_SEPARATOR}${event}`
    message.multiSseFrame = `id: ${message.id}\nevent: ${name}\ndata: ${message.json}\n\n`
  }
  return message.multiSseFrame
}

/** The JSON object `{"id","event"?,"data"}` used by polling, long polling and WebSocket frames. */
export function jsonFrame(message: StoredMessage): string {
  if (message.jsonFrame === undefined) {
    const event = message.event === undefined ? '' : `,"event":${JSON.stringify(message.event)}`
    message.jsonFrame = `{"id":"${message.id}"${event},"data":${message.json}}`
  }
  return message.jsonFrame
}

/**
 * The WebSocket frame of a message, `{"type":"message","channel",id,event?,data}`: also an
 * element of an SSE `!batch` event.
 */
export function socketFrame(message: StoredMessage): string {
  message.wsFrame ??= `${frameStart('message')},"channel":${JSON.stringify(message.channel)},${jsonFrame(message).slice(1)}`
  return message.wsFrame
}

const UNSAFE_IN_SCRIPT = /[<>&\u2028\u2029]/g

/**
 * Makes JSON text safe inside an HTML `<script>` element: `<`, `>` and `&` (so no `</script>` or
 * `<!--` can end or alter the element) and U+2028/U+2029 become `\uXXXX` escapes, which JSON and
 * JavaScript read back as the same characters.
 */
export function scriptSafe(json: string): string {
  return json.replace(
    UNSAFE_IN_SCRIPT,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** The iframe document's `p(...)` argument for a message: `{"t":"m","m":{id, event?, data}}`. */
export function iframeArgument(message: StoredMessage): string {
  message.iframeArgument ??= `{"t":"${IFRAME_TYPES.message}","m":${scriptSafe(jsonFrame(message))}}`
  return message.iframeArgument
}

/** The same in a multiplexed document, which names the channel: `{"t":"m","c":…,"m":…}`. */
export function multiIframeArgument(message: StoredMessage): string {
  message.multiIframeArgument ??= `{"t":"${IFRAME_TYPES.message}","c":${JSON.stringify(message.channel)},"m":${scriptSafe(jsonFrame(message))}}`
  return message.multiIframeArgument
}
