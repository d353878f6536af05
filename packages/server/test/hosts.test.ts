import { once } from 'node:events'
import { type IncomingHttpHeaders, request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createLiveServer, type LiveServerError } from '../src/index'
import { type Started, testScope } from './helpers'

const { server } = testScope()

/** A GET with a `Host` header of the test's choosing (fetch sets its own). */
function get(s: Started, host: string, path = '/live/prices?transport=polling', headers = {}) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      const { port } = new URL(s.origin)
      const req = request(
        { host: '127.0.0.1', port, path, headers: { Host: host, ...headers } },
        (response) => {
          let body = ''
          response.on('data', (chunk) => {
            body += chunk
          })
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
          )
        },
      )
      req.on('error', reject)
      req.end()
    },
  )
}

describe('Host checks (the DNS-rebinding defence)', () => {
  it('by default refuses a loopback request for another host name, even from its "own" origin', async () => {
    const s = await server()
    const port = new URL(s.origin).port
    // What a rebinding page sends: its own name, pointed at 127.0.0.1, as Host and Origin.
    const rebound = await get(s, `evil.example:${port}`, undefined, {
      Origin: `http://evil.example:${port}`,
    })
    expect(rebound.status).toBe(403)
    expect(JSON.parse(rebound.body)).toMatchObject({ error: { code: 'ERR_HOST' } })
    expect(JSON.parse(rebound.body).error.message).toContain('allowedHosts')
    expect(rebound.headers['access-control-allow-origin']).toBeUndefined()
    expect(s.reports.map((r) => [r.error.code, r.context.client])).toEqual([['ERR_HOST', true]])
  })

  it('answers an allowed cross-origin page with CORS headers, so that it can read why; others get none', async () => {
    const s = await server({ origins: ['http://app.test:5173'] })
    const allowed = await get(s, 'api.app.test', undefined, { Origin: 'http://app.test:5173' })
    expect(allowed.status).toBe(403)
    expect(JSON.parse(allowed.body)).toMatchObject({ error: { code: 'ERR_HOST' } })
    expect(allowed.headers['access-control-allow-origin']).toBe('http://app.test:5173')
    expect(allowed.headers['access-control-allow-credentials']).toBe('true')
    expect(allowed.headers.vary).toBe('Origin')
    const stranger = await get(s, 'api.app.test', undefined, { Origin: 'https://evil.example' })
    expect(stranger.status).toBe(403)
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('refuses such an upgrade too', async () => {
    const s = await server()
    const ws = new WebSocket(s.url.replace('http', 'ws'), { headers: { Host: 'evil.example' } })
    const [, response] = (await once(ws, 'unexpected-response')) as [
      unknown,
      { statusCode: number },
    ]
    expect(response.statusCode).toBe(403)
    expect(s.reports.map((r) => r.error.code)).toEqual(['ERR_HOST'])
  })

  it.each(['localhost', 'app.localhost', '127.0.0.1', '127.1.2.3', '[::1]'])(
    'by default answers a loopback request for %s',
    async (name) => {
      const s = await server()
      const port = new URL(s.origin).port
      expect((await get(s, `${name}:${port}`)).status).toBe(200)
    },
  )

  it('by default also answers for the hosts of the listed origins', async () => {
    const s = await server({ origins: ['https://app.example.com:8443'] })
    expect((await get(s, 'app.example.com')).status).toBe(200)
    expect((await get(s, 'other.example.com')).status).toBe(403)
  })

  it('allowedHosts: names (any case, without the port) and RegExps', async () => {
    const s = await server({ allowedHosts: ['App.Example.com', /\.example\.org$/] })
    expect((await get(s, 'app.example.com:3000')).status).toBe(200)
    expect((await get(s, 'a.example.org')).status).toBe(200)
    expect((await get(s, 'localhost')).status).toBe(403)
  })

  it("allowedHosts: '*' answers any host; a function decides", async () => {
    const any = await server({ allowedHosts: '*' })
    expect((await get(any, 'whatever.example')).status).toBe(200)
    const asked: string[] = []
    const decided = await server({
      allowedHosts: (host) => {
        asked.push(host)
        return host === 'ok.example'
      },
    })
    expect((await get(decided, 'OK.example:99')).status).toBe(200)
    expect((await get(decided, 'no.example')).status).toBe(403)
    expect(asked).toEqual(['ok.example', 'no.example'])
  })

  it('a Host header that is not a host name is refused', async () => {
    const s = await server({ allowedHosts: ['app.example.com'] })
    expect((await get(s, 'app.example.com/path')).status).toBe(403)
    expect((await get(s, 'user@app.example.com')).status).toBe(403)
  })

  it.each([
    ['a host with a port', ['app.example.com:3000']],
    ['a URL', ['https://app.example.com']],
    ['a number', [3000]],
  ])('allowedHosts with %s throws ERR_INVALID_OPTIONS', (_name, allowedHosts) => {
    expect(() => createLiveServer({ allowedHosts: allowedHosts as string[] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }) as LiveServerError,
    )
  })
})

describe('refused origins', () => {
  it('an upgrade from a refused origin is reported, and its answer says why', async () => {
    const s = await server({ origins: ['https://app.example.com'] })
    const ws = new WebSocket(s.url.replace('http', 'ws'), {
      headers: { Origin: 'https://evil.example' },
    })
    const [, response] = (await once(ws, 'unexpected-response')) as [
      unknown,
      NodeJS.ReadableStream & { statusCode: number },
    ]
    let body = ''
    response.on('data', (chunk) => {
      body += chunk
    })
    await once(response, 'end')
    expect(response.statusCode).toBe(403)
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'ERR_ORIGIN' } })
    expect(s.reports.map((r) => r.error.code)).toEqual(['ERR_ORIGIN'])
  })
})
