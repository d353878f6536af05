import type {
  Backplane,
  BackplaneHost,
  FollowListener,
  LiveServerError,
  StoredMessage,
} from '@livedata/server/backplane'
import { redisBackplane } from '../src/index'

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
