import { request as httpRequest } from 'node:http'
import { describe, expect, it } from 'vitest'
import type { SuiteContext } from './context'
import { CONFORMANCE_RULES } from './fixture'
import { openSocket } from './socket'

const { path, allowedOrigin, failingChannel, privateChannel, token } = CONFORMANCE_RULES
const FOREIGN = 'http://foreign.example'
const HTTP_TRANSPORTS = ['sse', 'long-polling', 'polling', 'iframe'] as const

/** Status and headers of a GET whose `Host` header is `host` (fetch cannot set `Host`). */
function getWithHost(url: URL, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { host } }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    request.on('error', reject)
    request.end()
  })
}

/** Registers the checks of the rules every HTTP request meets: CORS, errors, hosts. */
export function describeHttpRules(context: SuiteContext): void {
  const at = (target: string): URL => new URL(target, context.url)

  describe('HTTP rules', () => {
    it('answers a CORS preflight from the allowed origin (204, methods, the headers asked for) at a channel and at the base path', async () => {
      const channel = context.channel('preflight')
      for (const target of [`${path}/${channel}`, path]) {
        const response = await fetch(at(target), {
          method: 'OPTIONS',
          headers: {
            origin: allowedOrigin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type, idempotency-key',
          },
        })
        expect(response.status, target).toBe(204)
        expect(response.headers.get('access-control-allow-origin')).toBe(allowedOrigin)
        expect(response.headers.get('access-control-allow-credentials')).toBe('true')
        expect(response.headers.get('access-control-allow-methods')).toContain('POST')
        expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
          'idempotency-key',
        )
      }
    })

    it('refuses a preflight and a POST from a foreign origin: 403 ERR_ORIGIN, readable by it', async () => {
      const channel = context.channel('foreign')
      const preflight = await fetch(at(`${path}/${channel}`), {
        method: 'OPTIONS',
        headers: { origin: FOREIGN, 'access-control-request-method': 'POST' },
      })
      expect(preflight.status).toBe(403)
      expect(preflight.headers.get('access-control-allow-origin')).toBe(FOREIGN)
      const post = await fetch(at(`${path}/${channel}`), {
        method: 'POST',
        headers: { origin: FOREIGN, 'content-type': 'application/json' },
        body: JSON.stringify({ data: 'no' }),
      })
      expect(post.status).toBe(403)
      expect(((await post.json()) as { error: { code: string } }).error.code).toBe('ERR_ORIGIN')
      expect(await context.control.received(channel)).toEqual([])
      const reported = await context.control.errors()
      expect(reported.some((e) => e.code === 'ERR_ORIGIN' && e.client)).toBe(true)
    })

    it('answers a POST from the allowed origin with CORS headers, and passes a page of its own origin', async () => {
      const channel = context.channel('cors-post')
      for (const origin of [allowedOrigin, new URL(context.url).origin]) {
        const response = await fetch(at(`${path}/${channel}`), {
          method: 'POST',
          headers: { origin, 'content-type': 'application/json' },
          body: JSON.stringify({ data: origin }),
        })
        expect(response.status, origin).toBe(204)
        expect(response.headers.get('access-control-allow-origin'), origin).toBe(origin)
      }
      const got = await context.control.received(channel)
      expect(got.map((r) => r.data)).toEqual([allowedOrigin, new URL(context.url).origin])
    })

    it('answers an authorize that throws with 503 ERR_AUTHORIZE and Retry-After (passing), for a subscribe and a send', async () => {
      const subscribe = await fetch(at(`${path}/${failingChannel}?transport=polling`))
      expect(subscribe.status).toBe(503)
      expect(subscribe.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(((await subscribe.json()) as { error: { code: string } }).error.code).toBe(
        'ERR_AUTHORIZE',
      )
      const send = await fetch(at(`${path}/${failingChannel}`), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: 1 }),
      })
      expect(send.status).toBe(503)
      expect(((await send.json()) as { error: { code: string } }).error.code).toBe('ERR_AUTHORIZE')
      expect(await context.control.received(failingChannel)).toEqual([])
      const reported = await context.control.errors()
      expect(reported.some((e) => e.code === 'ERR_AUTHORIZE' && !e.client)).toBe(true)
    })

    it('hands authorize the request’s headers: a channel opened by a token is 403 without it, served and sent to with it', async () => {
      const url = at(`${path}/${privateChannel}?transport=polling`)
      const without = await fetch(url)
      expect(without.status).toBe(403)
      expect(((await without.json()) as { error: { code: string } }).error.code).toBe(
        'ERR_FORBIDDEN',
      )
      const withToken = await fetch(url, { headers: { authorization: token } })
      expect(withToken.status).toBe(200)
      await withToken.body?.cancel()
      const send = await fetch(at(`${path}/${privateChannel}`), {
        method: 'POST',
        headers: { authorization: token, 'content-type': 'application/json' },
        body: JSON.stringify({ data: 'with a token' }),
      })
      expect(send.status).toBe(204)
      const got = await context.control.received(privateChannel)
      expect(got.map((r) => r.data)).toContain('with a token')
    })

    for (const transport of HTTP_TRANSPORTS.filter((t) => !context.transports.includes(t))) {
      it(`answers ${transport}, which it does not offer, 404 ERR_TRANSPORT`, async () => {
        const response = await fetch(at(`${path}/news?transport=${transport}`))
        expect(response.status).toBe(404)
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
          'ERR_TRANSPORT',
        )
      })
    }

    it('answers errors with their status, code and JSON shape', async () => {
      const cases: Array<[string, RequestInit, number, string]> = [
        [`${path}/bad%20name`, {}, 404, 'ERR_INVALID_CHANNEL'],
        [`${path}?transport=sse`, {}, 400, 'ERR_INVALID_REQUEST'],
        [`${path}?transport=polling&c=news*x`, {}, 400, 'ERR_INVALID_REQUEST'],
        [`${path}?transport=polling&c=news&c=news`, {}, 400, 'ERR_INVALID_REQUEST'],
        [`${path}/news?transport=iframe&nonce=abcdefgh`, {}, 400, 'ERR_INVALID_REQUEST'],
        [`${path}/news`, { method: 'DELETE' }, 405, 'ERR_METHOD'],
        [`${path}/news`, { method: 'POST', body: '{not json' }, 400, 'ERR_INVALID_JSON'],
        [`${path}/news`, { method: 'POST', body: '{"text":1}' }, 400, 'ERR_INVALID_MESSAGE'],
        [
          `${path}/news`,
          { method: 'POST', body: '{"data":1}', headers: { 'idempotency-key': 'bad key!' } },
          400,
          'ERR_INVALID_KEY',
        ],
      ]
      for (const [target, init, status, code] of cases) {
        const response = await fetch(at(target), init)
        const what = `${init.method ?? 'GET'} ${target}`
        expect(response.status, what).toBe(status)
        expect(response.headers.get('content-type'), what).toMatch(/^application\/json/)
        expect(response.headers.get('x-content-type-options'), what).toBe('nosniff')
        const body = (await response.json()) as { error?: { code?: string; message?: unknown } }
        expect(body.error?.code, what).toBe(code)
        expect(typeof body.error?.message, what).toBe('string')
        if (status === 405) expect(response.headers.get('allow'), what).toContain('GET')
      }
    })

    it('refuses a Host it does not answer for (403 ERR_HOST; the upgrade too), the DNS-rebinding defence', async () => {
      const refused = await getWithHost(at(`${path}/news?transport=polling`), 'rebound.example')
      expect(refused.status).toBe(403)
      expect((JSON.parse(refused.body) as { error: { code: string } }).error.code).toBe('ERR_HOST')
      const port = at('/').port
      const allowed = await getWithHost(at(`${path}/news?transport=polling`), `localhost:${port}`)
      expect(allowed.status).toBe(200)
      if (context.transports.includes('websocket')) {
        const upgrade = await openSocket(context.url, undefined, { host: 'rebound.example' })
        if (upgrade.ok) upgrade.socket.cut()
        expect(upgrade.ok ? 101 : upgrade.status, 'the upgrade').toBe(403)
      }
    })
  })
}
