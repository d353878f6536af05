import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest'
import { createLiveClient as createBaseClient } from '../src/base'
import { createLiveClient, pollingTransport, sse } from '../src/index'
import type { LiveClientOptions, TransportDefinition } from '../src/types'
import { fakeEnvironment, scriptedTransport } from './helpers'

// Options that are wrong, or that a second client.source() call would silently lose, are said
// out loud. No network: nothing here connects.

describe('an unknown transport', () => {
  it('lists the valid names', () => {
    expect(() =>
      createLiveClient({ transports: ['carrier-pigeon'] } as unknown as LiveClientOptions),
    ).toThrow(
      'Unknown transport "carrier-pigeon": use one of "websocket", "sse", "long-polling", "polling", "iframe", or pass a transport object',
    )
  })

  it("'socket.io' says to register socketIo from @livedata/socket.io", () => {
    expect(() => createLiveClient({ transports: ['socket.io'] })).toThrow(
      /not built in; import \{ socketIo \} from '@livedata\/socket\.io' and pass createLiveClient\(\{ register: \[socketIo\] \}\)/,
    )
    const c = createLiveClient({ url: '/live' })
    expect(() => c.source('chat', { url: 'https://chat.example', transport: 'socket.io' })).toThrow(
      /register: \[socketIo\]/,
    )
  })

  it('@livedata/core/base, which knows no names, says to pass a transport object', () => {
    expect(() => createBaseClient({ transports: ['sse'] })).toThrow(
      'Unknown transport "sse": pass a transport object',
    )
    expect(() => createBaseClient({ url: '/live', transports: [sse] })).not.toThrow()
  })
})

describe('client options', () => {
  it.each([
    [{ url: '/live', headers: 'Bearer x' }, /headers must be an object or a function/],
    [{ url: '/live', query: 'token=x' }, /query must be an object or a function/],
    [{ url: '/live', upgrade: true }, /upgrade must be false or \{ minDelay, maxDelay \}/],
    [{ url: '/live', upgrade: { minDelay: -1 } }, /upgrade.minDelay must be a number from 1/],
  ])('rejects %j with ERR_INVALID_OPTIONS', (options, message) => {
    expect(() => createLiveClient(options as unknown as LiveClientOptions)).toThrow(message)
  })

  it.each([[[]], [['http://a.test/live', 3]], [['http://a.test/live', '']], [''], [42]])(
    'rejects url %j with ERR_INVALID_OPTIONS and says what url takes',
    (url) => {
      expect(() => createLiveClient({ url } as unknown as LiveClientOptions)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_OPTIONS',
          message: 'url must be a non-empty string or a non-empty list of them',
        }),
      )
    },
  )

  it('takes a list of URLs, and starts on the first', () => {
    const transport = scriptedTransport()
    const c = createLiveClient({
      url: ['http://a.test/live', 'http://b.test/live'],
      transports: [transport.definition],
    })
    return new Promise<void>((resolve) => {
      c.source('news').subscribe(() => {})
      const check = () => {
        if (!transport.connections.length) return void setTimeout(check, 1)
        expect(transport.last().context.url).toBe('http://a.test/live/news')
        c.close()
        resolve()
      }
      check()
    })
  })

  it.each([-1, Number.NaN, 2 ** 31])('pollingTransport rejects an interval of %s', (interval) => {
    expect(() => pollingTransport({ interval })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }),
    )
  })

  it('register gives a built-in name another definition, used by name in transports', async () => {
    const connected: string[] = []
    const mine: TransportDefinition = {
      name: 'polling',
      connect(context) {
        connected.push(context.key)
        return { close() {} }
      },
    }
    const c = createLiveClient({ url: '/live', transports: ['polling'], register: [mine] })
    const stop = c.source('news').subscribe(() => {})
    await vi.waitFor(() => expect(connected).toEqual(['news']))
    stop()
    c.close()
  })
})

describe('client.source() called again with other options', () => {
  let warn: MockInstance<typeof console.warn>
  const env = process.env.NODE_ENV
  beforeEach(() => {
    warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
  })
  afterEach(() => {
    warn.mockRestore()
    process.env.NODE_ENV = env
  })

  const client = () => createLiveClient({ url: 'http://127.0.0.1:1/live' })

  it('warns once per channel, naming the option, and keeps the first options', () => {
    const c = client()
    const first = c.source<number[], number>('news', {
      initialData: [],
      reduce: (list, n) => [...list, n],
    })
    const second = c.source<number>('news', { reduce: (_previous, n) => n * 2 })
    c.source<number>('news', { reduce: (_previous, n) => n * 3 })
    expect(second).toBe(first)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]?.[0])).toMatch(
      /^@livedata: client\.source\("news"\) was called again with other options \(initialData, reduce\); the source keeps the options it was created with/,
    )
    c.source('other', { replay: 1 })
    c.source('other', { replay: 2 })
    expect(warn).toHaveBeenCalledTimes(2)
  })

  it('does not warn for the same options re-created on every render', () => {
    const c = client()
    const render = () =>
      c.source<number[], number>('news', {
        initialData: [],
        reduce: (list, n) => [...list, n],
        schema: (value: unknown) => Number(value),
        transport: sse,
        replay: 10,
      })
    render()
    render()
    render()
    expect(warn).not.toHaveBeenCalled()
  })

  it.each([
    ['an option added', { replay: 5 }],
    ['a primitive changed', { event: 'other' }],
    ['a transport by another name', { transport: 'polling' as const }],
  ])('warns for %s', (_name, options) => {
    const c = client()
    c.source('news', { event: 'tick', transport: 'sse' })
    c.source('news', { event: 'tick', transport: 'sse', ...options })
    expect(warn).toHaveBeenCalledTimes(1)
  })

  it('warns for initialData of another kind: an array, then another object', () => {
    const c = client()
    c.source<unknown>('news', { initialData: [] })
    c.source<unknown>('news', { initialData: {} })
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]?.[0])).toContain('(initialData)')
  })

  it('compares native and bound functions, whose text says nothing, by identity', () => {
    const c = client()
    const scale = (factor: number) => (_previous: unknown, n: unknown) => Number(n) * factor
    const double = scale(2).bind(null)
    c.source('bound', { reduce: double })
    c.source('bound', { reduce: double })
    expect(warn).not.toHaveBeenCalled()
    c.source('bound', { reduce: scale(3).bind(null) })
    expect(warn).toHaveBeenCalledTimes(1)
    c.source('native', { parse: JSON.parse })
    c.source('native', { parse: String })
    expect(warn).toHaveBeenCalledTimes(2)
    expect(String(warn.mock.calls[1]?.[0])).toContain('(parse)')
  })

  it('does not warn for a call without options, which takes the source as it is', () => {
    const c = client()
    c.source('news', { replay: 1, reduce: (_previous, n) => n })
    c.source('news')
    c.source('news', {})
    expect(warn).not.toHaveBeenCalled()
  })

  it('is silent in production', () => {
    process.env.NODE_ENV = 'production'
    const c = client()
    c.source('news', { replay: 1 })
    c.source('news', { replay: 2 })
    expect(warn).not.toHaveBeenCalled()
  })
})

describe('a closed client', () => {
  it('a source subscribed to after close() says closed with ERR_CLOSED, and connects nothing', async () => {
    const transport = scriptedTransport('sse')
    const c = createLiveClient({
      url: 'http://127.0.0.1:1/live',
      transports: [transport.definition],
      environment: fakeEnvironment().environment,
    })
    c.close()
    const prices = c.source('prices')
    prices.subscribe(() => {})
    await new Promise<void>((resolve) => queueMicrotask(resolve))
    expect(prices.getSnapshot()).toMatchObject({ status: 'closed', error: { code: 'ERR_CLOSED' } })
    expect(transport.connections).toHaveLength(0)
  })
})
