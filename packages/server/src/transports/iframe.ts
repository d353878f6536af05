import { randomBytes } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { Subscriber } from '../channel'
import { jsonFrame, scriptSafe } from '../frames'
import type { StoredMessage } from '../history'
import type { HubSettings, LiveConnection } from '../hub'
import { normalizeOrigin } from '../origin'
import { Outbox } from '../outbox'
import { onlyChannel, reportSlow, type Serve } from './context'

/** Bytes after which the document is ended, so the page's iframe never grows without bound. */
const MAX_DOCUMENT_BYTES = 1024 * 1024
// Some browsers render a streamed document only after its first kilobyte or two.
const PADDING = `<!--${' '.repeat(2048)}-->\n`

/** A valid client nonce: it goes into the document, so it is checked strictly. */
const NONCE = /^[\w-]{8,64}$/
const ORIGIN = /^https?:\/\/[^/?#\s]+$/i

/** The page an iframe document posts to: its origin, and the nonce it tags messages with. */
export interface IframePage {
  origin: string
  nonce: string
}

/**
 * The page named by an iframe request's `origin` and `nonce` parameters (navigations carry no
 * `Origin` header), or `null` when either is malformed. Only an origin already in its normal
 * form is taken: what is checked is what is used.
 *
 * @example
 * ```ts
 * iframePage(new URLSearchParams('origin=https://app.example.com&nonce=abcdefgh'))
 * // { origin: 'https://app.example.com', nonce: 'abcdefgh' }
 * ```
 */
export function iframePage(query: URLSearchParams): IframePage | null {
  const origin = query.get('origin') ?? ''
  const nonce = query.get('nonce') ?? ''
  if (!ORIGIN.test(origin) || normalizeOrigin(origin) !== origin || !NONCE.test(nonce)) return null
  return { origin, nonce }
}

/**
 * One "forever frame": an HTML document that never ends, each message a `<script>` that hands
 * it to the parent page with `postMessage`, to the page's origin only and tagged with the
 * client's nonce. No message is ever written as HTML: its JSON is made script-safe, and a
 * Content-Security-Policy nonce keeps anything else from running.
 */
class IframeConnection implements Subscriber, LiveConnection {
  private written = 0
  private closed = false
  private readonly open: string
  private readonly outbox: Outbox<StoredMessage>

  constructor(
    private readonly response: ServerResponse,
    settings: HubSettings,
    cspNonce: string,
    private readonly onEnd: () => void,
    /** Told when the client fell too far behind, before the document is cut. */
    slow: () => void,
  ) {
    this.open = `<script nonce="${cspNonce}">p(`
    this.outbox = new Outbox(
      {
        send: (message) => {
          message.iframeArgument ??= `{"t":"m","m":${scriptSafe(jsonFrame(message))}}`
          this.post(message.iframeArgument)
        },
        buffered: () => response.writableLength,
        overflow: () => {
          if (this.closed) return
          slow()
          this.close()
        },
      },
      settings.maxBufferedBytes,
      settings.maxBacklog,
    )
    response.on('drain', () => this.outbox.pump())
  }

  /** Calls the page's `p` with a script-safe JSON argument. */
  post(json: string): void {
    if (this.closed) return
    const chunk = `${this.open}${json})</script>\n`
    this.written += chunk.length
    this.response.write(chunk)
    // The document ends; the client sees the frame load and resumes in a fresh one.
    if (this.written > MAX_DOCUMENT_BYTES) this.end()
  }

  deliver(message: StoredMessage): void {
    if (!this.closed) this.outbox.push(message)
  }

  heartbeat(): void {
    this.post('{"t":"h"}')
  }

  private end(): void {
    if (this.closed) return
    this.closed = true
    this.onEnd()
    this.response.end('</body></html>')
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.onEnd()
    this.response.destroy()
  }
}

/**
 * Serves the request's channel as a forever-frame document posting to the page its query names
 * (checked, origin included, before it got here).
 */
export const serveIframe: Serve = (context) => {
  const { response, hub, query } = context
  const start = onlyChannel(context)
  const page = iframePage(query)
  if (page === null) throw new Error('an iframe request reached serveIframe unchecked')
  const { origin: pageOrigin, nonce } = page
  const { settings, connections } = hub
  const channel = hub.channel(start.channel)
  const cspNonce = randomBytes(16).toString('base64')
  response.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-cache, no-store, no-transform',
    'X-Content-Type-Options': 'nosniff',
    'X-Accel-Buffering': 'no',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${cspNonce}'; frame-ancestors ${pageOrigin}`,
  })
  response.socket?.setNoDelay(true)
  const connection = new IframeConnection(
    response,
    settings,
    cspNonce,
    () => {
      channel.unsubscribe(connection)
      connections.delete(connection)
    },
    () => reportSlow(context, 'iframe', start.channel),
  )
  const target = scriptSafe(JSON.stringify(pageOrigin))
  response.write(
    `<!doctype html><html><head><meta charset="utf-8"></head><body>${PADDING}<script nonce="${cspNonce}">function p(m){m.n=${scriptSafe(JSON.stringify(nonce))};parent.postMessage(m,${target})}</script>\n`,
  )
  connections.add(connection)
  const replay = channel.subscribe(connection, start)
  const cursor = replay.tellCursor ? `,"cursor":"${replay.cursor}"` : ''
  connection.post(`{"t":"o"${cursor},"retry":${settings.retry}}`)
  if (replay.gap) connection.post('{"t":"g"}')
  for (const message of replay.messages) connection.deliver(message)
  response.on('close', () => connection.close())
}
