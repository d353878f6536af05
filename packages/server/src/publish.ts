import type { Backplane } from './backplane'
import { LiveServerError } from './errors'
import type { Hub } from './hub'
import { type PublishOptions, prepareMessage } from './message'

export type { PublishOptions }

/** The error of a publish after `close()`. */
export const closedError = (): LiveServerError =>
  new LiveServerError('ERR_CLOSED', 'Cannot publish: the live server is closed')

/**
 * Checks and publishes one message on this node (see {@link prepareMessage}); returns its id.
 *
 * @example
 * ```ts
 * const id = publish(hub, nextId, 'prices', { AAPL: 191.2 }, {})
 * ```
 */
export function publish(
  hub: Hub,
  nextId: () => string,
  channel: string,
  data: unknown,
  options: PublishOptions,
): string {
  const message = prepareMessage(channel, data, options, hub.settings.maxPayload)
  const id = nextId()
  const { event, json } = message
  hub.channel(channel).publish({ id, channel, event, json })
  return id
}

/**
 * Checks one message and appends it to the backplane's log; resolves with its id, the log's.
 * Every node's clients, this one's included, get it from the log, in the log's order. Every
 * failure rejects, and a publish nobody awaits is never an unhandled rejection. A bad message,
 * or one after `close()`, is also reported to `onError`; the log being unreachable
 * (`ERR_BACKPLANE`) is not, publish by publish: the backplane reports the outage once.
 *
 * @example
 * ```ts
 * const id = await publishToBackplane(hub, backplane, () => false, 'prices', { AAPL: 191.2 }, {})
 * ```
 */
export function publishToBackplane(
  hub: Hub,
  backplane: Backplane,
  isClosed: () => boolean,
  channel: string,
  data: unknown,
  options: PublishOptions,
): Promise<string> {
  let published: Promise<string>
  try {
    if (isClosed()) throw closedError()
    published = backplane.publish(prepareMessage(channel, data, options, hub.settings.maxPayload))
  } catch (error) {
    published = Promise.reject(error)
  }
  published.catch((error: unknown) => {
    // The outage is the backplane's to report, once: not a thousand times a second.
    if (error instanceof LiveServerError && error.code === 'ERR_BACKPLANE') return
    const reported =
      error instanceof LiveServerError
        ? error
        : new LiveServerError('ERR_BACKPLANE', `Publishing on "${channel}" failed`, {
            cause: error,
          })
    hub.report(reported, { client: false, channel })
  })
  return published
}
