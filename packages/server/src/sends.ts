import type { IncomingMessage, ServerResponse } from 'node:http'
import { type Hub, isEventName } from './hub'

/** Answers with a JSON error body `{"error": {"code", "message"}}`. */
export function sendError(
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent) {
    response.destroy()
    return
  }
  response.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8' })
  response.end(JSON.stringify({ error: { code, message } }))
}

/** Reads a body up to `limit` bytes; `null` when it is larger. */
function readBody(request: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        resolve(null)
        request.removeAllListeners('data')
        request.resume()
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

/** A client's send over HTTP: `POST <path>/<channel>` with `{"data": ..., "event"?: "name"}`. */
export async function handleHttpSend(
  hub: Hub,
  request: IncomingMessage,
  response: ServerResponse,
  channel: string,
  cors: Record<string, string>,
): Promise<void> {
  if (!(await hub.authorize({ channel, action: 'send', request }))) {
    return sendError(response, 403, 'ERR_FORBIDDEN', `Sending on "${channel}" is not allowed`, cors)
  }
  const { maxPayload } = hub.settings
  const declared = Number(request.headers['content-length'] ?? 0)
  const body = declared > maxPayload ? null : await readBody(request, maxPayload)
  if (body === null) {
    response.setHeader('Connection', 'close')
    return sendError(
      response,
      413,
      'ERR_PAYLOAD_TOO_LARGE',
      `The body exceeds maxPayload (${maxPayload} bytes)`,
      cors,
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return sendError(response, 400, 'ERR_INVALID_JSON', 'The body is not valid JSON', cors)
  }
  if (typeof parsed !== 'object' || parsed === null || !('data' in parsed)) {
    return sendError(
      response,
      400,
      'ERR_INVALID_MESSAGE',
      'The body must be a JSON object {"data": ..., "event"?: "name"}',
      cors,
    )
  }
  const { data, event } = parsed as { data: unknown; event?: unknown }
  if (event !== undefined && !isEventName(event)) {
    return sendError(response, 400, 'ERR_INVALID_EVENT', 'event must be a short string', cors)
  }
  try {
    await hub.receive(channel, data, { event, transport: 'http', request })
  } catch {
    return sendError(response, 500, 'ERR_LISTENER', 'The server failed to take the message', cors)
  }
  response.writeHead(204, cors)
  response.end()
}
