import { createLiveClient, type LiveClient, type LiveEnvironment } from '@livedata/core'
import { trapGlobals } from '@livedata/test-server'

const browserGlobals = ['document', 'navigator', 'location'] as const

/**
 * A client for the server rendering tests that records, in `calls`, every step a connection
 * would take: reading or subscribing to its environment, a fetch. A server render must take none.
 *
 * @example
 * ```ts
 * const { client, calls } = recordingClient()
 * const { body } = withBrowserGlobalsTrapped(calls, () => render(Dashboard, { props: { client } }))
 * expect(calls).toEqual([])
 * ```
 */
export function recordingClient(): { client: LiveClient; calls: string[] } {
  const calls: string[] = []
  // The connection's first steps are to read and subscribe to these; none may happen.
  const environment: LiveEnvironment = {
    isOnline() {
      calls.push('isOnline')
      return true
    },
    isVisible() {
      calls.push('isVisible')
      return true
    },
    subscribe() {
      calls.push('subscribe')
      return () => {}
    },
  }
  const client = createLiveClient({
    url: 'http://127.0.0.1:9/live',
    environment,
    fetch: async () => {
      calls.push('fetch')
      throw new Error('no request may leave a server render')
    },
  })
  return { client, calls }
}

/** Runs `render`, recording in `calls` any read of a browser global it makes. */
export function withBrowserGlobalsTrapped<R>(calls: string[], render: () => R): R {
  const restore = trapGlobals(browserGlobals, (name) => calls.push(name))
  try {
    return render()
  } finally {
    restore()
  }
}
