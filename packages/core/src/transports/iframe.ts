import { LiveDataError } from '../errors'
import { IframeEventType } from '../protocol'
import type { TransportDefinition } from '../types'
import { withParam, withResume } from './http'

/** What the server's document posts to the page; see docs/protocol.md. */
interface FrameMessage {
  n?: string
  t?: IframeEventType
  cursor?: string
  retry?: number
  m?: { id: string; event?: string; data: unknown }
}

function makeNonce(): string {
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/**
 * A hidden iframe whose document never ends ("forever frame"): each message is a `<script>`
 * that hands it to this page with `postMessage`. The frame is sandboxed (scripts only, an opaque
 * origin: it cannot touch this page), and a message is taken only from that frame's window and
 * with this connection's nonce. Browsers only, opt-in, and @livedata/server only.
 *
 * @example
 * ```ts
 * createLiveClient({ url: '/live', transports: ['websocket', 'sse', 'iframe', 'polling'] })
 * ```
 */
export const iframe: TransportDefinition = {
  name: 'iframe',
  connect(context, handlers) {
    const doc = (globalThis as { document?: Document }).document
    const page = (globalThis as { location?: Location }).location
    if (!doc?.body || !page || !context.channel) {
      throw new LiveDataError(
        'ERR_UNSUPPORTED',
        'The iframe transport needs a browser page and a @livedata/server channel',
        { retryable: false },
      )
    }
    const nonce = makeNonce()
    const src = withResume(
      withParam(
        withParam(withParam(context.url, 'transport', 'iframe'), 'origin', page.origin),
        'nonce',
        nonce,
      ),
      context,
    )

    const frame = doc.createElement('iframe')
    frame.setAttribute('sandbox', 'allow-scripts')
    frame.setAttribute('aria-hidden', 'true')
    frame.tabIndex = -1
    frame.style.cssText = 'position:absolute;width:0;height:0;border:0;visibility:hidden'
    let ended = false

    const onMessage = (event: MessageEvent): void => {
      const message = event.data as FrameMessage | null
      // Only our frame, only this connection: any other window's postMessage is ignored. The
      // frame is sandboxed without allow-same-origin, so the origin it posts from is "null".
      if (event.source !== frame.contentWindow || event.origin !== 'null' || message?.n !== nonce) {
        return
      }
      handlers.onActivity()
      if (message.t === IframeEventType.Open) {
        handlers.onOpen()
        if (message.cursor) handlers.onCursor(message.cursor)
        if (typeof message.retry === 'number') handlers.onRetry(message.retry)
      } else if (message.t === IframeEventType.Gap) {
        handlers.onGap()
      } else if (message.t === IframeEventType.Message && message.m) {
        const { id, event: name, data } = message.m
        handlers.onMessage({ value: data, event: name ?? 'message', id })
      }
    }
    // A page waits for its frames to load, and this one never finishes: added before the page's
    // own load, it would hold that load (and the browser's spinner) forever.
    const start = (): void => {
      if (!ended) doc.body.appendChild(frame)
    }
    const close = (): void => {
      ended = true
      removeEventListener('message', onMessage)
      removeEventListener('load', start)
      frame.remove()
    }
    addEventListener('message', onMessage)
    // The document finished: the server ended it (it does so now and then), or an error page
    // loaded instead of the stream.
    frame.addEventListener('load', () => {
      if (ended) return
      close()
      handlers.onClose(new LiveDataError('ERR_CONNECTION_LOST', 'The iframe stream ended'))
    })
    frame.src = src
    if (doc.readyState === 'complete') start()
    else addEventListener('load', start, { once: true })
    return { close }
  },
}
