import { randomBytes } from 'node:crypto'
import type { Channel, Subscriber } from '../channel'
import type { Sink } from '../exchange'
import { scriptSafe } from '../frames'
import type { StoredMessage } from '../history'
import type { HubSettings, LiveConnection } from '../hub'
import { normalizeOrigin } from '../origin'
import { Outbox } from '../outbox'
import { IFRAME_TYPES } from '../protocol'
import { reportSlow, type StreamContext } from './context'
import { IFRAME_FRAMES, type StreamFrames } from './forms'
import { openChannels } from './openings'
import { streamBacklog, streamBudget } from './sse'

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
  private readonly outbox: Outbox<string>

  constructor(
    private readonly sink: Sink,
    settings: HubSettings,
    private readonly frames: StreamFrames,
    cspNonce: string,
    private readonly onEnd: () => void,
    /** Told when the client fell too far behind, before the document is cut. */
    slow: () => void,
    channels: number,
  ) {
    this.open = `<script nonce="${cspNonce}">p(`
    this.outbox = new Outbox(
      {
        text: (argument) => this.script(argument),
        write: (scripts) => this.emitAll(scripts),
        buffered: () => sink.buffered(),
        behind: () => {
          if (this.closed) return
          slow()
          this.close()
        },
        // A write that threw left the document broken: end it; the client resumes.
        fail: () => this.close(),
      },
      streamBudget(settings),
      streamBacklog(settings, channels),
    )
    sink.drained(() => this.outbox.pump())
  }

  /** The script that calls the page's `p` with a script-safe JSON argument. */
  private script(json: string): string {
    return `${this.open}${json})</script>\n`
  }

  /**
   * Writes a tick's scripts in one write, as far as the document goes: the script that takes it
   * past its length is the last, and what follows is left out (the client resumes after the
   * last id it got, in a fresh document).
   */
  private emitAll(scripts: string[]): void {
    let size = 0
    let count = 0
    while (count < scripts.length && this.written + size <= MAX_DOCUMENT_BYTES) {
      size += (scripts[count++] as string).length
    }
    this.emit(count === scripts.length ? scripts.join('') : scripts.slice(0, count).join(''))
  }

  /** Writes scripts to the document, and ends it once it is long enough. */
  private emit(chunk: string): void {
    if (this.closed) return
    this.written += chunk.length
    this.sink.write(chunk)
    // The document ends; the client sees the frame load and resumes in a fresh one.
    if (this.written > MAX_DOCUMENT_BYTES) this.end()
  }

  /** Queues the opening (control objects, the replay), prepaid beyond the backlog limit. */
  begin(argumentsOfOpening: readonly string[]): void {
    this.outbox.prepay(argumentsOfOpening.length)
    for (const argument of argumentsOfOpening) this.push(argument)
  }

  /** Queues a ready argument (the opening, control objects) in order with the messages. */
  push(argument: string): void {
    if (!this.closed) this.outbox.push(argument)
  }

  deliver(message: StoredMessage): void {
    if (!this.closed) this.outbox.push(this.frames.message(message))
  }

  heartbeat(): void {
    this.emit(this.script(`{"t":"${IFRAME_TYPES.heartbeat}"}`))
  }

  private end(): void {
    if (this.closed) return
    this.closed = true
    this.onEnd()
    this.sink.end('</body></html>')
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.onEnd()
    this.sink.destroy()
  }
}

/**
 * Streams the request's channels as one forever-frame document posting to `page` (checked,
 * origin included, before it got here), in the request's form: `respond` starts the answer.
 * Returns what to call once the client went.
 *
 * @example
 * ```ts
 * const close = streamIframe(context, page, exchange.respond)
 * exchange.closed.addEventListener('abort', close)
 * ```
 */
export function streamIframe(
  context: StreamContext,
  page: IframePage,
  respond: (status: number, headers: Record<string, string>) => Sink,
): () => void {
  const { hub } = context
  const { origin: pageOrigin, nonce } = page
  const { settings, connections } = hub
  const frames = IFRAME_FRAMES[context.form]
  const cspNonce = randomBytes(16).toString('base64')
  const sink = respond(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-cache, no-store, no-transform',
    'X-Content-Type-Options': 'nosniff',
    'X-Accel-Buffering': 'no',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${cspNonce}'; frame-ancestors ${pageOrigin}`,
  })
  const followed: Channel[] = []
  const connection = new IframeConnection(
    sink,
    settings,
    frames,
    cspNonce,
    () => {
      for (const channel of followed) channel.unsubscribe(connection)
      connections.delete(connection)
    },
    () => reportSlow(context, 'iframe'),
    context.channels.length,
  )
  const target = scriptSafe(JSON.stringify(pageOrigin))
  sink.write(
    `<!doctype html><html><head><meta charset="utf-8"></head><body>${PADDING}<script nonce="${cspNonce}">function p(m){m.n=${scriptSafe(JSON.stringify(nonce))};parent.postMessage(m,${target})}</script>\n`,
  )
  connections.add(connection)
  const opened = openChannels(context.channels, (start) => {
    const channel = context.channel(start.channel)
    followed.push(channel)
    return { channel, subscription: channel.subscribe(connection, start) }
  })
  connection.begin(frames.opening(settings.retry, opened))
  return () => connection.close()
}
