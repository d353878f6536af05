import { once } from 'node:events'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createStaticHandler } from '../src/static'

let dir: string
let server: Server
let base: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'livedata-static-'))
  await mkdir(join(dir, 'app', 'assets'), { recursive: true })
  await writeFile(join(dir, 'app', 'index.html'), '<!doctype html><title>demo</title>')
  await writeFile(join(dir, 'app', 'assets', 'index-abc123.js'), 'console.log(1)')
  await writeFile(join(dir, 'secret.txt'), 'secret')
  await symlink(join(dir, 'secret.txt'), join(dir, 'app', 'link.txt'))
  server = createServer(
    (request, response) => void createStaticHandler(join(dir, 'app'))(request, response),
  )
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterEach(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await rm(dir, { recursive: true, force: true })
})

/** Sends a raw request line, so that `..` reaches the server as written. */
async function rawGet(path: string): Promise<string> {
  const { port } = server.address() as AddressInfo
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  // Not end(): a half-closed socket makes the server drop a request it answers asynchronously.
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
  let reply = ''
  for await (const chunk of socket) reply += String(chunk)
  return reply
}

describe('static files', () => {
  it('serves index.html at / with its content type', async () => {
    const response = await fetch(`${base}/`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache')
    expect(await response.text()).toContain('<title>demo</title>')
  })

  it('serves hashed assets with a long cache and a JavaScript type', async () => {
    const response = await fetch(`${base}/assets/index-abc123.js`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(response.headers.get('cache-control')).toContain('immutable')
  })

  it('never serves a file outside the root', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/link.txt']) {
      const reply = await rawGet(path)
      expect(reply, path).toMatch(/^HTTP\/1\.1 404/)
      expect(reply, path).not.toContain('secret\r\n')
      expect(reply.endsWith('secret'), path).toBe(false)
    }
  })

  it('answers 404 for a missing file and 405 for a POST', async () => {
    expect((await fetch(`${base}/nope.js`)).status).toBe(404)
    const post = await fetch(`${base}/`, { method: 'POST', body: 'x' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })
})

describe('under a prefix', () => {
  it('serves the files below the prefix and nothing else', async () => {
    const prefixed = createServer(
      (request, response) =>
        void createStaticHandler(join(dir, 'app'), { prefix: '/vue/' })(request, response),
    )
    prefixed.listen(0, '127.0.0.1')
    await once(prefixed, 'listening')
    const at = `http://127.0.0.1:${(prefixed.address() as AddressInfo).port}`
    try {
      expect(await (await fetch(`${at}/vue/`)).text()).toContain('<title>demo</title>')
      expect((await fetch(`${at}/vue/assets/index-abc123.js`)).status).toBe(200)
      expect((await fetch(`${at}/assets/index-abc123.js`)).status).toBe(404)
    } finally {
      prefixed.closeAllConnections()
      await new Promise<void>((resolve) => prefixed.close(() => resolve()))
    }
  })
})
