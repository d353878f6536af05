import type { ReceivedSend } from './fixture'

/** A message to publish through the control API. */
export interface ToPublish {
  data: unknown
  event?: string
}

async function call<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(new URL(`/control/${path}`, base), {
    method,
    ...(body !== undefined && {
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    }),
  })
  const text = await response.text()
  if (!response.ok)
    throw new Error(`${method} /control/${path} answered ${response.status}: ${text}`)
  return JSON.parse(text) as T
}

/**
 * The control API of the server under test (see `createConformanceFixture`), over HTTP.
 *
 * @example
 * ```ts
 * const control = controlOf('http://127.0.0.1:3000')
 * const [id] = await control.publish('news', [{ data: { n: 1 } }])
 * ```
 */
export function controlOf(base: string) {
  return {
    /** Publishes `messages` on `channel`, in one tick; resolves with their ids. */
    async publish(channel: string, messages: readonly ToPublish[]): Promise<string[]> {
      const { ids } = await call<{ ids: string[] }>(base, 'POST', 'publish', { channel, messages })
      return ids
    },
    /** Publishes one message the documented way (`{channel, data, event?}` → `{id}`). */
    async publishOne(channel: string, message: ToPublish): Promise<string> {
      const { id } = await call<{ id: string }>(base, 'POST', 'publish', { channel, ...message })
      return id
    },
    /** `live.stats()` of the server now. */
    stats(): Promise<{ channels: number; connections: number }> {
      return call(base, 'GET', 'stats')
    },
    /** What the server's `onError` was told, oldest first. */
    async errors(): Promise<Array<{ code: string; client: boolean; channel: string | null }>> {
      type Reported = { code: string; client: boolean; channel: string | null }
      return (await call<{ errors: Reported[] }>(base, 'GET', 'errors')).errors
    },
    /** The sends the server received on `channel`, in order. */
    async received(channel: string): Promise<ReceivedSend[]> {
      const query = `received?channel=${encodeURIComponent(channel)}`
      return (await call<{ received: ReceivedSend[] }>(base, 'GET', query)).received
    },
  }
}

/** The control API of one server. */
export type Control = ReturnType<typeof controlOf>
