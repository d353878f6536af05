import { afterEach, describe, expect, it, vi } from 'vitest'
import { consoleReporter, LiveServerError } from '../src/index'
import { testScope } from './helpers'

const { server, socket } = testScope()

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('the default reporter', () => {
  it("writes a client's fault as one line with its address, and a server fault with the stack of its cause", () => {
    const lines: string[] = []
    const log = consoleReporter({ write: (line) => lines.push(line) })
    const request = { socket: { remoteAddress: '10.0.0.7' } } as never
    log(new LiveServerError('ERR_INVALID_FRAME', 'a frame must be JSON'), { client: true, request })
    const cause = new Error('db down')
    log(new LiveServerError('ERR_LISTENER', 'a message listener failed', { cause }), {
      client: false,
    })
    expect(lines[0]).toBe(
      '[@livedata/server] ERR_INVALID_FRAME: a frame must be JSON (from 10.0.0.7)',
    )
    expect(lines[1]?.split('\n')[0]).toBe(
      '[@livedata/server] ERR_LISTENER: a message listener failed',
    )
    expect(lines[1]).toContain('Error: db down')
    expect(lines[1]).toContain('report.test.ts')
  })

  it('writes at most 20 lines per 10 s of each kind, then one line saying how many it did not show', () => {
    vi.useFakeTimers()
    const lines: string[] = []
    const log = consoleReporter({ write: (line) => lines.push(line) })
    const error = new LiveServerError('ERR_INVALID_FRAME', 'a frame must be JSON')
    for (let i = 0; i < 25; i++) log(error, { client: true })
    expect(lines).toHaveLength(20)
    vi.advanceTimersByTime(10_000)
    expect(lines).toHaveLength(21)
    expect(lines[20]).toBe(
      '[@livedata/server] 5 more client reports in the last 10 s were not shown',
    )
    log(error, { client: true })
    expect(lines).toHaveLength(22)
  })

  it("keeps a budget for server faults of its own: a client's noise never hides one", () => {
    vi.useFakeTimers()
    const lines: string[] = []
    const log = consoleReporter({ write: (line) => lines.push(line) })
    const noise = new LiveServerError('ERR_INVALID_FRAME', 'a frame must be JSON')
    for (let i = 0; i < 100; i++) log(noise, { client: true })
    const cause = new Error('BUG: orders table missing')
    log(new LiveServerError('ERR_LISTENER', 'a message listener failed', { cause }), {
      client: false,
    })
    const fault = lines.find((line) => line.startsWith('[@livedata/server] ERR_LISTENER'))
    expect(fault).toContain('Error: BUG: orders table missing')
    expect(fault).toContain('report.test.ts')
    // Server faults past their own budget are counted apart.
    for (let i = 0; i < 25; i++) log(new LiveServerError('ERR_INTERNAL', 'x'), { client: false })
    vi.advanceTimersByTime(10_000)
    expect(lines.slice(-2).sort()).toEqual([
      '[@livedata/server] 6 more server reports in the last 10 s were not shown',
      '[@livedata/server] 80 more client reports in the last 10 s were not shown',
    ])
  })

  it('is what a server without onError uses', async () => {
    const write = vi.spyOn(console, 'error').mockImplementation(() => {})
    const s = await server({ onError: undefined })
    const client = await socket(s)
    client.send('not json')
    await client.until((f) => f.length === 1)
    expect(write).toHaveBeenCalledWith(
      expect.stringMatching(
        /^\[@livedata\/server\] ERR_INVALID_FRAME: a frame must be JSON \(from /,
      ),
    )
  })
})

describe('onError', () => {
  it('that throws does not stop the server, and what it threw is logged', async () => {
    const write = vi.spyOn(console, 'error').mockImplementation(() => {})
    const s = await server({
      onError: () => {
        throw new Error('the logger is broken')
      },
    })
    const client = await socket(s)
    client.send('not json')
    client.send({ type: 'subscribe', channel: 'ok' })
    await client.until((f) => f.some((x) => x.type === 'subscribed'))
    expect(write).toHaveBeenCalledWith(expect.stringContaining('the logger is broken'))
  })
})
