import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ConformanceFixture } from '@livedata/server-conformance/fixture'

/** Reads a Node request whole, as a Web `Request` (control requests are small). */
async function toRequest(request: IncomingMessage): Promise<Request> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const body = chunks.length > 0 ? Buffer.concat(chunks) : null
  const method = request.method ?? 'GET'
  return new Request(`http://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`, {
    method,
    headers: { 'content-type': request.headers['content-type'] ?? 'application/json' },
    ...(body !== null && method !== 'GET' && method !== 'HEAD' && { body }),
  })
}

/**
 * A Node request listener (also a Connect/Express middleware) that answers the fixture's
 * `/control/*` on `node:http` and passes every other request to `next` (404 without one).
 *
 * @example
 * ```ts
 * const { live, control } = createConformanceFixture(createLiveServer)
 * const server = createServer(nodeControl(control))
 * live.attach(server) // /live is the live server's; /control/* is nodeControl's
 * ```
 */
export function nodeControl(control: ConformanceFixture['control']) {
  return (request: IncomingMessage, response: ServerResponse, next?: () => void): void => {
    const url = request.url ?? '/'
    if (!url.startsWith('/control/')) {
      if (next) return next()
      response.writeHead(404).end()
      return
    }
    void (async () => {
      const answer = await control(await toRequest(request))
      if (answer === null) return void response.writeHead(404).end()
      response.writeHead(answer.status, Object.fromEntries(answer.headers))
      response.end(Buffer.from(await answer.arrayBuffer()))
    })().catch((error: unknown) => {
      response.writeHead(500).end(String(error))
    })
  }
}
