/**
 * What a subscription said, whatever its transport and form: the suite reads every transport
 * through this one shape, so one check covers them all.
 */
export type WireEvent =
  /** The subscription is open (SSE `retry:`, the iframe's `o`, a WebSocket `subscribed`). */
  | { type: 'open'; channel: string | null }
  /** A fresh subscription's cursor. */
  | { type: 'cursor'; channel: string; cursor: string }
  /** The gap signal; `lastEventId` and `oldest` where the transport tells them. */
  | { type: 'gap'; channel: string; lastEventId?: string | null; oldest?: string | null }
  /** A message. */
  | { type: 'message'; channel: string; id: string; event: string | null; data: unknown }
  /** `authorize` (or another check) refused the channel. */
  | { type: 'refused'; channel: string; code: string }
  /** A heartbeat (SSE `:`, the iframe's `h`, a WebSocket `heartbeat` frame). */
  | { type: 'heartbeat'; channel: null }

/** Where a channel's subscription starts: fresh, after an id, or with a backlog. */
export interface ChannelSpec {
  channel: string
  /** Resume after this id. */
  after?: string
  /** Without `after`: a backlog of the last `replay` messages (`replay=`, `*n`, `replay:`). */
  replay?: number
}

/** The message events of `channel` alone. */
export const messagesOf =
  (channel: string) =>
  (event: WireEvent): event is Extract<WireEvent, { type: 'message' }> =>
    event.type === 'message' && event.channel === channel
