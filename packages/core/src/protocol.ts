/**
 * What the client knows of the @livedata wire protocol (docs/protocol.md): reserved names, frame
 * types and the server's error codes the client acts on. Enums, so that a bundle inlines each
 * value where it is used and carries no table (test/protocol.test.ts checks them against the doc).
 */

/** The names @livedata/server takes for channels: 1 to 256 of letters, digits and `_ . : @ ~ -`. */
export const CHANNEL_NAME = /^[\w.:@~-]{1,256}$/

/** Event names @livedata/server reserves for control events; never delivered as data. */
export const RESERVED_PREFIX = 'livedata.'

/** The control events of a channel's SSE stream (named with {@link RESERVED_PREFIX}). */
export enum SseControl {
  /** History no longer reaches back to the id asked for: the replay of what it holds follows. */
  Gap = 'livedata.gap',
  /** Where a fresh subscription stands, in its `id:` field. */
  Cursor = 'livedata.cursor',
}

/**
 * The control events of a stream that carries several channels (docs/protocol.md, "One request
 * for every channel"). `!` is outside the channel alphabet, so no channel can collide; each
 * one's data is JSON naming its `channel`.
 */
export enum ChannelsControl {
  /** `{channel, cursor}`: where a fresh subscription stands. */
  Cursor = '!cursor',
  /** `{channel, lastEventId, oldest}`: history no longer reaches back; its replay follows. */
  Gap = '!gap',
  /** `{channel, code, message}`: the server refused this channel; the others go on. */
  Refused = '!refused',
  /** `[frame, …]`: several messages, each `{channel, id, event?, data}` as a WebSocket frame. */
  Batch = '!batch',
}

/** The `type` of a WebSocket frame a client sends. */
export enum ClientFrameType {
  /** Headers a browser cannot put on the upgrade; only as the first frame. */
  Hello = 'hello',
  Subscribe = 'subscribe',
  Unsubscribe = 'unsubscribe',
  Send = 'send',
}

/** The `type` of a WebSocket frame @livedata/server sends. */
export enum ServerFrameType {
  /** The subscription is live (with a cursor for a fresh one). */
  Subscribed = 'subscribed',
  Gap = 'gap',
  Message = 'message',
  /** The send with this `ref` was handed to the server's listeners. */
  Ack = 'ack',
  /** Answers a send (`ref`), a subscribe (`channel`), the hello, or a frame it could not place. */
  Error = 'error',
  Heartbeat = 'heartbeat',
}

/** The `t` of an object the iframe stream posts to the page. */
export enum IframeEventType {
  Open = 'o',
  /** A fresh channel's cursor (`c`: the channel). */
  Cursor = 'c',
  Gap = 'g',
  /** The server refused a channel (`c`), with `code` and `message`. */
  Refused = 'r',
  Message = 'm',
  Heartbeat = 'h',
}

/** The error codes of @livedata/server that decide what the client does next. */
export enum WireError {
  /** 403: the page's origin is not allowed. A final refusal: no transport, no retry helps. */
  Origin = 'ERR_ORIGIN',
  /** 403: the `Host` is not allowed. A final refusal. */
  Host = 'ERR_HOST',
  /** 403: `authorize` said no. A final refusal (until `client.reconnect()`). */
  Forbidden = 'ERR_FORBIDDEN',
  /** 503 (or an error frame): `authorize` threw. Passing: retried with backoff, never final. */
  Authorize = 'ERR_AUTHORIZE',
  /** 503 (or an error frame): a node of several could not load the channel from the shared log. Passing. */
  Backplane = 'ERR_BACKPLANE',
  /** The hello frame was refused: the WebSocket cannot carry these headers, the next transport is tried. */
  InvalidHello = 'ERR_INVALID_HELLO',
  /** 404: the server does not offer this transport. Says only "not this one", so it is the least telling error. */
  Transport = 'ERR_TRANSPORT',
}

/** A wire error code the client acts on, as a string union. */
export type WireErrorCode = `${WireError}`

/** The refusals no other transport, and no retry, can turn into a yes. */
export const FINAL_REFUSALS: readonly string[] = [
  WireError.Origin,
  WireError.Host,
  WireError.Forbidden,
]
