import { LiveDataError } from '../errors'
import { IframeEventType } from '../protocol'
import { channelRefusal, saidBy } from '../server-error'
import type { TransportContext, TransportDefinition } from '../types'
import { withParam } from './http'
import { channelsUrl, type LinkRequest, RequestLink, requestLinkFor } from './request-link'

/** What the server's document posts to the page; see docs/protocol.md. */
interface FrameMessage {
  n?: unknown
  t?: IframeEventType
  c?: unknown
  cursor?: unknown
  retry?: unknown
  code?: unknown
  message?: unknown
  m?: { id?: unknown; event?: unknown; data?: unknown }
}

function makeNonce(): string {
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** One never-ending document of @livedata/server for every channel of a client. */
class IframeLink extends RequestLink {
  constructor(
    context: TransportContext,
    private readonly doc: Document,
    private readonly page: Location,
  ) {
    super(context)
  }

  protected start(request: LinkRequest): () => void {
    const { doc, page } = this
    const nonce = makeNonce()
    const base = withParam(withParam(this.context.baseUrl, 'origin', page.origin), 'nonce', nonce)
    const frame = doc.createElement('iframe')
    frame.setAttribute('sandbox', 'allow-scripts')
    frame.setAttribute('aria-hidden', 'true')
    frame.tabIndex = -1
    frame.style.cssText = 'position:absolute;width:0;height:0;border:0;visibility:hidden'
    let ended = false

    const onMessage = (event: MessageEvent): void => {
      const message = event.data as FrameMessage | null
      // Only our frame, only this document: any other window's postMessage is ignored. The
      // frame is sandboxed without allow-same-origin, so the origin it posts from is "null".
      if (event.source !== frame.contentWindow || event.origin !== 'null' || message?.n !== nonce) {
        return
      }
      request.activity()
      const channel = typeof message.c === 'string' ? message.c : ''
      switch (message.t) {
        case IframeEventType.Open:
          request.ready()
          if (typeof message.retry === 'number') request.retry(message.retry)
          return
        case IframeEventType.Cursor:
          if (typeof message.cursor === 'string') request.cursor(channel, message.cursor)
          return
        case IframeEventType.Gap:
          return request.gap(channel)
        case IframeEventType.Refused:
          return request.refuse(channel, channelRefusal(channel, saidBy(message)))
        case IframeEventType.Message: {
          const { id, event: name, data } = message.m ?? {}
          const type = typeof name === 'string' ? name : 'message'
          const at = typeof id === 'string' ? id : null
          request.deliver(channel, { value: data, event: type, id: at })
        }
      }
    }
    // A page waits for its frames to load, and this one never finishes: added before the page's
    // own load, it would hold that load (and the browser's spinner) forever.
    const append = (): void => {
      if (!ended) doc.body.appendChild(frame)
    }
    const stop = (): void => {
      ended = true
      removeEventListener('message', onMessage)
      removeEventListener('load', append)
      frame.remove()
    }
    addEventListener('message', onMessage)
    // The document finished: the server ended it (it does so now and then), or an error page
    // loaded instead of the stream.
    frame.addEventListener('load', () => {
      if (ended) return
      stop()
      request.end(new LiveDataError('ERR_CONNECTION_LOST', 'The iframe stream ended'))
    })
    frame.src = channelsUrl(base, 'iframe', request.channels)
    if (doc.readyState === 'complete') append()
    else addEventListener('load', append, { once: true })
    return stop
  }
}

/**
 * A hidden iframe whose document never ends ("forever frame"), one for every channel of a
 * client: each message is a `<script>` that hands it to this page with `postMessage`. The frame
 * is sandboxed (scripts only, an opaque origin: it cannot touch this page), and a message is
 * taken only from that frame's window and with its nonce. Browsers only, opt-in, and
 * @livedata/server only.
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
    const key = `iframe ${context.baseUrl}`
    const link = requestLinkFor(context, key, () => new IframeLink(context, doc, page))
    return link.attach(context, handlers)
  },
}
