import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { deadline, type Report, testScope, watchEscapes } from './helpers'

/** Generated requests; the report quotes it. Each is a real POST on a loopback socket. */
const RUNS = 300
const MAX_PAYLOAD = 2048
const BODY_TIMEOUT = 300

const { server } = testScope()
/** Process-level failures while a test runs: there must be none. */
const escaped = watchEscapes()

/** What a run's body is, and so what the server must answer if the client stays. */
type Body = { kind: 'send'; text: string; data: unknown } | { kind: 'junk'; text: string }

const sendBody = fc
  .record(
    {
      data: fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        // Often past maxPayload: a 413.
        fc.integer({ min: 1000, max: 6000 }).map((n) => 'x'.repeat(n)),
      ),
      event: fc.constantFrom('say', 'é€'),
    },
    { requiredKeys: ['data'] },
  )
  .map((send): Body => ({ kind: 'send', text: JSON.stringify(send), data: send.data }))

const junkBody = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 3000 }),
    fc.json(),
    fc.constantFrom('', '{"data":', '{"nodata":1}', '[1]', 'null', '{"data":1,"event":"a\\nb"}'),
  )
  .map((text): Body => ({ kind: 'junk', text }))

/**
 * How the body goes on the wire: an exact Content-Length, chunked, a Content-Length larger than
 * what is sent (the body never ends: bodyTimeout), or one over maxPayload (refused unread).
 */
const framing = fc.constantFrom('length', 'length', 'chunked', 'chunked', 'short', 'declared-huge')

/** The request, cut where the generated points say. */
function wire(body: Body, how: string): { head: string; payload: Buffer } {
  const bytes = Buffer.from(body.text)
  let headers: string
  let payload = bytes
  switch (how) {
    case 'chunked': {
      headers = 'Transfer-Encoding: chunked'
      const parts: Buffer[] = []
      for (let at = 0; at < bytes.length; at += 700) {
        const piece = bytes.subarray(at, at + 700)
        parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'))
      }
      parts.push(Buffer.from('0\r\n\r\n'))
      payload = Buffer.concat(parts)
      break
    }
    case 'short':
      headers = `Content-Length: ${bytes.length + 10}`
      break
    case 'declared-huge':
      headers = `Content-Length: ${MAX_PAYLOAD * 10}`
      break
    default:
      headers = `Content-Length: ${bytes.length}`
  }
  return { head: headers, payload }
}

function cutAt(payload: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => Math.floor(p * payload.length)))].sort((a, b) => a - b)
  const pieces: Buffer[] = []
  let from = 0
  for (const to of at) {
    if (to > from) pieces.push(payload.subarray(from, to))
    from = Math.max(from, to)
  }
  pieces.push(payload.subarray(from))
  return pieces
}

describe('fuzz: the streaming body reader on a real server', () => {
  it(`${RUNS} POSTs in random pieces, with pauses, aborts and bad framing, each settle with a send or a typed refusal within bodyTimeout`, async () => {
    const reports: Report[] = []
    const received = new Map<string, unknown>()
    const delays = new Map<string, number>()
    const waiters = new Map<string, () => void>()
    const settled = (channel: string) => waiters.get(channel)?.()
    const requests = new Map<string, () => void>()
    const s = await server({
      maxPayload: MAX_PAYLOAD,
      bodyTimeout: BODY_TIMEOUT,
      // An async authorize of 0 to 2 ms: aborts land before, during and after it.
      // It is asked in the tick the request arrives: from then on, the server has it.
      authorize: ({ channel }) => {
        requests.get(channel)?.()
        return new Promise((resolve) => setTimeout(resolve, delays.get(channel) ?? 0, true))
      },
      onError: (error, context) => {
        reports.push({ error, context })
        if (context.channel) settled(context.channel)
      },
    })
    s.live.on('message', (channel, data) => {
      received.set(channel, data)
      settled(channel)
    })
    const port = Number(new URL(s.origin).port)
    let run = 0

    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ arbitrary: sendBody, weight: 3 }, { arbitrary: junkBody, weight: 1 }),
        framing,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 7 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 8, maxLength: 8 }),
        fc.option(fc.integer({ min: 0, max: 8 }), { freq: 4 }),
        fc.integer({ min: 0, max: 2 }),
        async (body, how, points, pauses, abortAfter, authorizeDelay) => {
          const channel = `fuzz-${run++}`
          delays.set(channel, authorizeDelay)
          const { head, payload } = wire(body, how)
          const pieces = cutAt(payload, points)
          const done = new Promise<void>((resolve) => waiters.set(channel, resolve))
          const seen = new Promise<void>((resolve) => requests.set(channel, resolve))
          const started = Date.now()
          const peer: Socket = connect(port, '127.0.0.1')
          peer.on('error', () => {})
          let answer = ''
          peer.on('data', (chunk) => {
            answer += chunk
          })
          // Not events.once: it rejects on 'error', and a peer that writes after the server closed
          // (a refused, declared-huge body) gets EPIPE before its 'close'.
          const closed = new Promise<void>((resolve) => peer.once('close', () => resolve()))
          await once(peer, 'connect')
          peer.write(
            `POST /live/${channel} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n${head}\r\n\r\n`,
          )
          // The server has the request: from now on, whatever happens must settle it.
          await seen
          let aborted = false
          for (const [index, piece] of pieces.entries()) {
            if (abortAfter === index) {
              aborted = true
              peer.destroy()
              break
            }
            if (peer.destroyed) break
            peer.write(piece)
            const pause = pauses[index % pauses.length] ?? 0
            if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause))
          }
          // Settled, not hanging: bodyTimeout plus room for a loaded CI machine (2 cores shared
          // with browsers and other runtimes), far below what a request left hanging would take.
          const limit = BODY_TIMEOUT + 5000
          await Promise.race([done, deadline(limit, `settling ${channel} (${how})`)])
          if (!aborted) await Promise.race([closed, deadline(limit, `answering ${channel}`)])
          expect(Date.now() - started).toBeLessThan(limit)

          const mine = reports.filter((r) => r.context.channel === channel)
          for (const { error, context } of mine) {
            expect(error.code).toMatch(
              /^ERR_(BODY_ABORTED|BODY_TIMEOUT|PAYLOAD_TOO_LARGE|INVALID_JSON|INVALID_MESSAGE|INVALID_EVENT)$/,
            )
            expect(context.client).toBe(true)
            // A client that left is told apart from a slow one, however early it left.
            if (aborted) expect(error.code).not.toBe('ERR_BODY_TIMEOUT')
          }
          if (received.has(channel) && body.kind === 'send') {
            // What JSON carries of it: -0 travels as 0.
            expect(received.get(channel)).toEqual(JSON.parse(JSON.stringify(body.data)))
          }
          if (aborted) return
          const status = Number(answer.slice(9, 12))
          if (status === 204) {
            expect(received.has(channel)).toBe(true)
            return
          }
          expect([400, 408, 413]).toContain(status)
          expect(answer).toMatch(/"code":"ERR_[A-Z_]+"/)
          const bytes = Buffer.byteLength(body.text)
          if (how === 'declared-huge' || bytes > MAX_PAYLOAD) expect(status).toBe(413)
          else if (how === 'short') expect(status).toBe(408)
          else if (body.kind === 'send') throw new Error(`a valid send was refused: ${answer}`)
        },
      ),
      { numRuns: RUNS, endOnFailure: true },
    )
    expect(run).toBe(RUNS)
    expect(escaped).toEqual([])
    // Nothing held: every connection of the runs goes (the last abort's may take a moment).
    const connections = () =>
      new Promise<number>((resolve, reject) =>
        s.http.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      )
    const until = Date.now() + 2000
    while ((await connections()) > 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(await connections()).toBe(0)
  }, 120_000)
})
