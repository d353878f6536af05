// What the bench and a node process (node-process.ts) say to each other over the IPC channel.
import type { RawServerKind } from './raw-broadcasts'

/** What a node process serves: an @livedata server, or a raw one to compare it with. */
export type NodeServerKind = 'livedata' | RawServerKind

/** The payload of every message the nodes publish. */
export interface BenchPayload {
  symbol: string
  price: number
  seq: number
  /** When it was published, by the publishing node's {@link epochNow}. */
  t: number
}

/** From the bench to a node. */
export type NodeCommand =
  | { type: 'clock'; id: number }
  /** `count` messages as fast as it can, `burst` at a time with a yield in between. */
  | { type: 'burst'; id: number; channel: string; count: number; burst: number }
  /** `count` messages at `rate` per second. */
  | { type: 'steady'; id: number; channel: string; count: number; rate: number }

/** From a node to the bench. */
export type NodeReply =
  | { type: 'listening'; port: number }
  | { type: 'clock'; id: number; now: number }
  /** Every publish of a command returned (resolved, on a backplane); `failed` did not. */
  | { type: 'done'; id: number; failed: number; error?: string }
