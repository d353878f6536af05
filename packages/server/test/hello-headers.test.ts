import { describe, expect, it } from 'vitest'
import { type AuthorizeContext, createLiveServer, type MessageContext } from '../src/index'
import { testScope } from './helpers'

const { server, socket } = testScope()

/** A server whose authorize records what it saw; a hello, a subscribe and a send on one socket. */
async function helloThenSend(
  options: { helloHeaders?: string[] },
  upgradeHeaders: Record<string, string>,
  hello: Record<string, string>,
) {
  const asked: AuthorizeContext[] = []
  const s = await server({
    ...options,
    authorize: (context) => {
      asked.push(context)
      return true
    },
  })
  const received: MessageContext[] = []
  s.live.on('message', (_channel, _data, context) => {
    received.push(context)
  })
  const client = await socket(s, { headers: upgradeHeaders })
  client.send({ type: 'hello', headers: hello })
  client.send({ type: 'subscribe', channel: 'admin' })
  client.send({ type: 'send', channel: 'admin', data: 1, ref: 1 })
  await client.until((f) => f.some((x) => x.type === 'ack'))
  expect(asked).toHaveLength(2)
  expect(received).toHaveLength(1)
  return { s, seen: [...asked, ...received].map((context) => context.headers) }
}

describe('the hello frame cannot forge identity', () => {
  it("never replaces a header a proxy set on the upgrade: authorize sees the upgrade's x-forwarded-user", async () => {
    const { seen } = await helloThenSend(
      {},
      { 'X-Forwarded-User': 'mallory@corp', 'X-Forwarded-For': '203.0.113.9' },
      { 'X-Forwarded-User': 'admin@corp', 'X-Forwarded-For': '10.0.0.1', forwarded: 'for=x' },
    )
    for (const headers of seen) {
      expect(headers['x-forwarded-user']).toBe('mallory@corp')
      expect(headers['x-forwarded-for']).toBe('203.0.113.9')
      expect(headers.forwarded).toBeUndefined()
    }
  })

  it('cannot add one the upgrade did not carry: authorize sees no x-forwarded-user at all', async () => {
    const { seen } = await helloThenSend(
      {},
      {},
      {
        'x-forwarded-user': 'admin@corp',
        'cf-access-authenticated-user-email': 'admin@corp',
        'x-real-ip': '10.0.0.1',
      },
    )
    for (const headers of seen) {
      expect(headers['x-forwarded-user']).toBeUndefined()
      expect(headers['cf-access-authenticated-user-email']).toBeUndefined()
      expect(headers['x-real-ip']).toBeUndefined()
    }
  })

  it('does not replace even an allowed header the upgrade carried', async () => {
    const { seen } = await helloThenSend(
      { helloHeaders: ['authorization', 'x-forwarded-user'] },
      { Authorization: 'Bearer from-upgrade', 'X-Forwarded-User': 'mallory@corp' },
      { authorization: 'Bearer forged', 'x-forwarded-user': 'admin@corp' },
    )
    for (const headers of seen) {
      expect(headers.authorization).toBe('Bearer from-upgrade')
      expect(headers['x-forwarded-user']).toBe('mallory@corp')
    }
  })

  it('adds the headers helloHeaders allows (authorization by default) when the upgrade has none', async () => {
    const { seen } = await helloThenSend({}, {}, { Authorization: 'Bearer good' })
    for (const headers of seen) {
      expect(headers.authorization).toBe('Bearer good')
      expect(Object.isFrozen(headers)).toBe(true)
    }
    const custom = await helloThenSend(
      { helloHeaders: ['X-Tenant'] },
      {},
      { 'x-tenant': 'acme', authorization: 'Bearer t' },
    )
    for (const headers of custom.seen) {
      expect(headers['x-tenant']).toBe('acme')
      expect(headers.authorization).toBeUndefined()
    }
  })

  it('reports a hello header it ignores, once per name, as a client fault', async () => {
    const s = await server()
    for (let i = 0; i < 3; i++) {
      const client = await socket(s)
      client.send({ type: 'hello', headers: { 'x-forwarded-user': 'admin', 'x-tenant': 'a' } })
      client.send({ type: 'subscribe', channel: 'chat' })
      await client.until((f) => f.some((x) => x.type === 'subscribed'))
    }
    expect(s.reports.map((r) => [r.error.code, r.context.client])).toEqual([
      ['ERR_INVALID_HELLO', true],
      ['ERR_INVALID_HELLO', true],
    ])
    expect(s.reports[0]?.error.message).toContain('"x-forwarded-user" was ignored')
    expect(s.reports[0]?.error.message).toContain('helloHeaders allow authorization')
    expect(s.reports[1]?.error.message).toContain('"x-tenant"')
  })
})

describe('helloHeaders', () => {
  it.each([
    ['a name the browser sets', ['Cookie']],
    ['host', ['host']],
    ['a sec-* name', ['Sec-WebSocket-Key']],
    ['a proxy-* name', ['proxy-authorization']],
    ['a name that is not a header name', ['bad name']],
    ['something that is not a string', [1]],
  ])('refuses %s with ERR_INVALID_OPTIONS', (_what, helloHeaders) => {
    expect(() => createLiveServer({ helloHeaders: helloHeaders as string[] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }),
    )
  })

  it('may be empty: a hello then adds nothing', async () => {
    const { seen } = await helloThenSend({ helloHeaders: [] }, {}, { authorization: 'Bearer t' })
    for (const headers of seen) expect(headers.authorization).toBeUndefined()
  })
})
