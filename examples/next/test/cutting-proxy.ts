import { createServer, request as forward, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One SSE response the proxy passed on and then ended. */
export interface CutStream {
  /** The request's path and query, as the browser sent it. */
  url: string
  /** The last `id` of each event name the stream carried before it was ended. */
  lastIds: Map<string, string>
}

/** An HTTP proxy in front of `next start` that ends every SSE response after `after` ms. */
export interface CuttingProxy {
  url: string
  /** The SSE requests seen, in order (path and query). */
  streams: string[]
  /** The streams ended so far. */
  cuts: CutStream[]
  close(): Promise<void>
}

/**
 * Plays a serverless platform's time limit: every request goes on to `target`, and each
 * `text/event-stream` answer is ended (cleanly, as a platform ends a response at its
 * `maxDuration`) `after` ms after it began. Everything else passes untouched.
 *
 * @example
 * ```ts
 * const proxy = await startCuttingProxy(next.url, 1500)
 * await page.goto(proxy.url)
 * ```
 */
export async function startCuttingProxy(target: string, after: number): Promise<CuttingProxy> {
  const origin = new URL(target)
  const streams: string[] = []
  const cuts: CutStream[] = []
  const server: Server = createServer((incoming, outgoing) => {
    const upstream = forward(
      {
        host: origin.hostname,
        port: origin.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: origin.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
        if (!String(answer.headers['content-type']).startsWith('text/event-stream')) {
          answer.pipe(outgoing)
          return
        }
        const url = incoming.url ?? ''
        streams.push(url)
        const lastIds = new Map<string, string>()
        let text = ''
        answer.on('data', (chunk: Buffer) => {
          outgoing.write(chunk)
          text += chunk.toString()
          // Whole events only: keep the unfinished tail for the next chunk.
          const events = text.split('\n\n')
          text = events.pop() ?? ''
          for (const event of events) {
            const id = /^id: (.+)$/m.exec(event)?.[1]
            const name = /^event: (.+)$/m.exec(event)?.[1] ?? 'message'
            if (id) lastIds.set(name, id)
            // A tick's messages in one `!batch` event: each frame names its channel and id.
            if (name === '!batch') {
              const data = /^data: (.+)$/m.exec(event)?.[1] ?? '[]'
              for (const frame of JSON.parse(data) as Array<{ channel: string; id: string }>) {
                lastIds.set(frame.channel, frame.id)
              }
            }
          }
        })
        const timer = setTimeout(() => {
          cuts.push({ url, lastIds: new Map(lastIds) })
          answer.destroy()
          outgoing.end()
        }, after)
        answer.once('close', () => clearTimeout(timer))
        outgoing.once('close', () => {
          clearTimeout(timer)
          answer.destroy()
        })
      },
    )
    upstream.once('error', () => outgoing.destroy())
    incoming.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    streams,
    cuts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
