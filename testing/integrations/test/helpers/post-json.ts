/**
 * POSTs `body` (JSON text, sent as it is, malformed included) to `url` with
 * `Content-Type: application/json`.
 *
 * @example
 * ```ts
 * const sent = await postJson(`${app.url}/live/notes`, '{"data":{"text":"hi"}}')
 * ```
 */
export function postJson(url: string, body: string): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
}
