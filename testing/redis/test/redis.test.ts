import { connect } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeWithRedis, startRedis, type TestRedis } from '../src/index'

// The harness the multi-node tests (issue 12) stand on: a real redis-server, stopped and
// restarted with and without its data. Spoken to in RESP by hand: no client library here.

/** Sends one command and resolves with the raw reply. */
function command(port: number, ...parts: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let reply = ''
    socket.on('data', (chunk) => {
      reply += chunk
      if (reply.endsWith('\r\n')) {
        socket.end()
        resolve(reply)
      }
    })
    socket.on('error', reject)
    socket.write(
      `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`,
    )
  })
}

describeWithRedis('startRedis', () => {
  let plain: TestRedis
  let persistent: TestRedis
  beforeAll(async () => {
    ;[plain, persistent] = await Promise.all([startRedis(), startRedis({ persistence: true })])
  })
  afterAll(async () => {
    await Promise.all([plain?.close(), persistent?.close()])
  })

  it('a killed server without persistence comes back empty; with it, with what it acknowledged', async () => {
    for (const redis of [plain, persistent]) {
      expect(await command(redis.port, 'XADD', 's', '*', 'd', '1')).toMatch(
        /^\$\d+\r\n\d+-\d+\r\n$/,
      )
      await redis.kill()
      await redis.restart()
    }
    expect(await command(plain.port, 'XLEN', 's')).toBe(':0\r\n')
    expect(await command(persistent.port, 'XLEN', 's')).toBe(':1\r\n')
  })
})
