import type {
  Backplane,
  BackplaneHost,
  FollowListener,
  LiveServerError,
  StoredMessage,
} from '@livedata/server/backplane'
import { type OwnedRedisClient, redisBackplane } from '../src/index'

/** What one follow heard, in order. */
export interface Heard {
  listener: FollowListener
  loads: Array<{ ids: string[]; json: string[]; more: boolean }>
  messages: StoredMessage[]
  /** Every call in order: 'load', 'message', 'lost', 'failed'. */
  calls: string[]
  failures: LiveServerError[]
}

export function hear(): Heard {
  const heard: Heard = {
    loads: [],
    messages: [],
    calls: [],
    failures: [],
    listener: {
      load(messages, more) {
        heard.calls.push('load')
        heard.loads.push({
          ids: messages.map((m) => m.id),
          json: messages.map((m) => m.json),
          more,
        })
      },
      message(message) {
        heard.calls.push('message')
        heard.messages.push(message)
      },
      lost() {
        heard.calls.push('lost')
      },
      failed(error) {
        heard.calls.push('failed')
        heard.failures.push(error)
      },
    },
  }
  return heard
}

/** A host whose reports are kept. */
export function host(history = 1000): BackplaneHost & { reports: LiveServerError[] } {
  const reports: LiveServerError[] = []
  return { history, reports, report: (error) => reports.push(error) }
}

/** Backplanes made by a test file, closed after it. */
export function backplanes() {
  const made: Backplane[] = []
  return {
    make(options: Parameters<typeof redisBackplane>[0], given = host()) {
      const backplane = redisBackplane(options)
      backplane.start(given)
      made.push(backplane)
      return { backplane, host: given }
    },
    async close() {
      for (const backplane of made.splice(0)) await backplane.close()
    },
  }
}

export const prepared = (channel: string, data: unknown, event?: string) => ({
  channel,
  event,
  json: JSON.stringify(data),
})

type Send = (args: string[]) => Promise<unknown>

/**
 * A client for `redisBackplane({ client })` whose duplicates (the backplane's own connections)
 * pass each command through `around(args, send)`, `send` being that same connection: what it
 * sends before or after the command goes before or after it on the wire, deterministically.
 */
export function hooked(
  app: { duplicate(overrides?: { disableOfflineQueue?: boolean }): OwnedRedisClient },
  around: (args: string[], send: Send) => Promise<unknown>,
) {
  return {
    duplicate(overrides?: { disableOfflineQueue?: boolean }): OwnedRedisClient {
      const copy = app.duplicate(overrides)
      const send = copy.sendCommand.bind(copy) as Send
      ;(copy as { sendCommand: Send }).sendCommand = (args) => around(args, send)
      return copy
    },
  }
}
