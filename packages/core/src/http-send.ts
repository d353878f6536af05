import { LiveDataError, toLiveDataError } from './errors'
import { isPassingStatus, readServerError, serverError } from './server-error'
import type { LiveTimers } from './types'

/** What a send by HTTP POST needs. */
export interface HttpSend {
  /** Resolves the channel URL (with the client's query) and the headers for this send. */
  request(): Promise<{ url: string; headers: Record<string, string> }>
  /** The channel name, for messages. */
  key: string
  /** The payload's JSON text, checked already. */
  text: string
  event: string | undefined
  /** The send's idempotency key, as the `Idempotency-Key` header: a repeat is delivered once. */
  idempotencyKey?: string
  credentials: RequestCredentials | undefined
  fetch: typeof fetch
  timers: LiveTimers
  /** How long the whole request may take, in ms; past it the request is aborted. */
  timeout: number
}

/**
 * POSTs one send to a channel of @livedata/server and resolves on its `2xx`. Rejects with
 * `ERR_SEND_TIMEOUT` (and aborts the request) when no answer came within `timeout`, counted from
 * before the credentials are resolved, so an awaited send always settles; with `ERR_SEND_FAILED`
 * saying what the server said otherwise.
 *
 * @example
 * ```ts
 * await httpSend({ request: async () => ({ url, headers: {} }), key: 'chat', text: '"hi"', … })
 * ```
 */
export function httpSend(send: HttpSend): Promise<void> {
  const subject = `a send on "${send.key}"`
  const controller = new AbortController()
  return new Promise<void>((resolve, reject) => {
    const timer = send.timers.setTimeout(() => {
      controller.abort()
      reject(
        new LiveDataError('ERR_SEND_TIMEOUT', `No answer to ${subject} within ${send.timeout} ms`),
      )
    }, send.timeout)
    post(send, subject, controller.signal)
      .then(resolve, reject)
      .finally(() => {
        send.timers.clearTimeout(timer)
      })
  })
}

async function post(send: HttpSend, subject: string, signal: AbortSignal): Promise<void> {
  const event = send.event === undefined ? '' : `,"event":${JSON.stringify(send.event)}`
  let url: string
  let headers: Record<string, string>
  try {
    ;({ url, headers } = await send.request())
  } catch (cause) {
    throw toLiveDataError(cause, 'ERR_SEND_FAILED', `The headers or query for ${subject} failed`)
  }
  let response: Response
  try {
    response = await send.fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(send.idempotencyKey === undefined ? {} : { 'Idempotency-Key': send.idempotencyKey }),
        ...headers,
      },
      body: `{"data":${send.text}${event}}`,
      credentials: send.credentials,
      signal,
    })
  } catch (cause) {
    throw new LiveDataError('ERR_SEND_FAILED', `Cannot reach the server for ${subject}`, { cause })
  }
  if (response.ok) {
    response.body?.cancel().catch(() => {})
    return
  }
  const { status } = response
  const retryable = isPassingStatus(status)
  throw serverError('ERR_SEND_FAILED', subject, status, await readServerError(response), retryable)
}
