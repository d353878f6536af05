import { LiveServerError } from './errors'
import { type BodyRead, type Exchange, NO_SINK, type Peer, type Sink } from './exchange'
import { requestView } from './request-view'

/** Statuses whose `Response` may have no body. */
const NO_BODY = new Set([101, 204, 205, 304])

/** A fetch exchange, and the `Response` it resolves once the answer's head is known. */
export interface FetchExchange {
  exchange: Exchange
  /** Resolves at `respond`: a stream's body keeps flowing after it. */
  response: Promise<Response>
}

/** Reads a stream whole, up to `limit` bytes: more is `too-large` (without reading further). */
async function readAll(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limit: number,
): Promise<BodyRead> {
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > limit) return { failed: 'too-large' }
      chunks.push(value)
    }
  } catch {
    return { failed: 'aborted' }
  } finally {
    reader.cancel().catch(() => {})
  }
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  return { bytes }
}

/**
 * Reads a request's body up to `limit` bytes within `timeout` ms (0: no limit in time). A body
 * something read before (a framework's `await c.req.json()`) is `consumed`; one given up on
 * (too large, too slow) is cancelled, not read on.
 */
async function readBody(request: Request, limit: number, timeout: number): Promise<BodyRead> {
  if (Number(request.headers.get('content-length') ?? 0) > limit) return { failed: 'too-large' }
  if (request.bodyUsed || request.body?.locked) return { failed: 'consumed' }
  if (request.body === null) return { bytes: new Uint8Array(0) }
  const reader = request.body.getReader()
  const reading = readAll(reader, limit)
  if (timeout <= 0) return reading
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<BodyRead>((resolve) => {
    timer = setTimeout(() => resolve({ failed: 'timeout' }), timeout)
  })
  try {
    const read = await Promise.race([reading, late])
    if ('failed' in read) reader.cancel().catch(() => {})
    return read
  } finally {
    clearTimeout(timer)
  }
}

/**
 * An exchange over a Web-standard `Request`, answered with a `Response` whose body is a
 * `ReadableStream` holding at most about `highWaterMark` bytes: `buffered()` is what its queue
 * holds (the stream's `desiredSize` turned around), `drained` its `pull` (the consumer read), so
 * a consumer that stops reading is cut as on `node:http`. `closed` aborts when the request's
 * signal does, or the consumer cancels the body.
 *
 * @example
 * ```ts
 * const { exchange, response } = createFetchExchange(request, 64 * 1024)
 * exchange.respond(200, { 'Content-Type': 'text/plain' }).end('hello')
 * return response
 * ```
 */
export function createFetchExchange(
  request: Request,
  highWaterMark: number,
  peer: Peer = { address: null },
): FetchExchange {
  let answered = false
  let settle: (response: Response) => void = () => {}
  const response = new Promise<Response>((resolve) => {
    settle = resolve
  })
  const answer = (value: Response): void => {
    answered = true
    settle(value)
  }
  const gone = new AbortController()
  const leave = (): void => {
    gone.abort()
    // A client that left before its answer began (while `authorize` ran) gets an empty one,
    // so that the caller's promise settles; nobody reads it.
    if (!answered) answer(new Response(null, { status: 499, statusText: 'Client Closed Request' }))
  }
  if (request.signal.aborted) leave()
  else request.signal.addEventListener('abort', leave, { once: true })
  const encoder = new TextEncoder()

  let current = NO_SINK
  let abandoned = false
  const respond = (status: number, given: Record<string, string>): Sink => {
    const headers = abandoned ? { ...given, Connection: 'close' } : given
    if (answered) {
      // One answer per request: a second (an error after a stream began) cuts the first.
      current.destroy()
      return NO_SINK
    }
    if (NO_BODY.has(status)) {
      answer(new Response(null, { status, headers }))
      return NO_SINK
    }
    const listeners: Array<() => void> = []
    let controller: ReadableStreamDefaultController<Uint8Array> | null = null
    let open = true
    const stream = new ReadableStream<Uint8Array>(
      {
        start(c) {
          controller = c
        },
        pull() {
          for (const listener of listeners) listener()
        },
        cancel() {
          open = false
          leave()
        },
      },
      { highWaterMark, size: (chunk) => chunk.byteLength },
    )
    answer(new Response(stream, { status, headers }))
    /**
     * Runs `operation` on the stream's controller; a stream the runtime cancelled meanwhile
     * (Deno does it from inside an `enqueue` when the client is gone) throws on every call, and
     * is then taken as the client having left.
     */
    const safely = (operation: (c: ReadableStreamDefaultController<Uint8Array>) => void): void => {
      try {
        if (controller !== null) operation(controller)
      } catch {
        open = false
        leave()
      }
    }
    const sink: Sink = {
      write(text) {
        if (open && text !== '') safely((c) => c.enqueue(encoder.encode(text)))
      },
      buffered() {
        // desiredSize is the room left below highWaterMark: what is queued is the rest.
        return open ? highWaterMark - (controller?.desiredSize ?? highWaterMark) : 0
      },
      drained(listener) {
        listeners.push(listener)
      },
      end(text) {
        if (text !== undefined) sink.write(text)
        // The write may have found the stream cancelled: then there is nothing left to end.
        if (!open) return
        open = false
        safely((c) => c.close())
      },
      destroy() {
        if (!open) return
        open = false
        if (gone.signal.aborted) {
          // The client left: nobody reads this body, and failing it would only make the
          // runtime log an error for each client that goes.
          safely((c) => c.close())
          return
        }
        // A cut the client must see as one (a slow client, the server closing): the body fails.
        safely((c) => c.error(new LiveServerError('ERR_CLOSED', 'The live stream was cut')))
        leave()
      },
    }
    current = sink
    return sink
  }

  const url = new URL(request.url)
  const method = request.method.toUpperCase()
  const { headers } = request
  const exchange: Exchange = {
    method,
    url,
    headers,
    address: peer.address,
    request: requestView({ method, url, headers, address: peer.address }, peer.localAddress),
    async readBody(limit, timeout) {
      const read = await readBody(request, limit, timeout)
      // A body given up on may still be coming: the answer asks to close the connection, so
      // that the rest is not read. A hint only: an HTTP/1.1 runtime may honour it, HTTP/2 has
      // no such header (Node warns and drops it).
      if ('failed' in read && read.failed !== 'consumed') abandoned = true
      return read
    },
    closed: gone.signal,
    respond,
  }
  return { exchange, response }
}
