import type { ServerTransport } from '@livedata/server'
import { describe, expect, it } from 'vitest'
import type { SuiteContext } from './context'
import { CONFORMANCE_RULES } from './fixture'
import type { Form, SubscribeOptions, Subscription } from './http-subscription'
import { subscribe } from './subscribe'
import { describeTransportSpecifics } from './transport-specifics'
import { type ChannelSpec, messagesOf, type WireEvent } from './wire-event'

const { allowedOrigin, forbiddenChannel, failingChannel, history } = CONFORMANCE_RULES
const FOREIGN = 'http://foreign.example'
const ID = /^(\d+)-(\d+)$/

/** Whether id `a` comes before id `b` (ms first, then seq). */
function before(a: string, b: string): boolean {
  const [, am = '', as = ''] = ID.exec(a) ?? []
  const [, bm = '', bs = ''] = ID.exec(b) ?? []
  return BigInt(am) < BigInt(bm) || (am === bm && BigInt(as) < BigInt(bs))
}

const CONTENT_TYPES: Record<Exclude<ServerTransport, 'websocket'>, string> = {
  sse: 'text/event-stream',
  'long-polling': 'application/json',
  polling: 'application/json',
  iframe: 'text/html',
}

type Message = Extract<WireEvent, { type: 'message' }>

/**
 * Registers the checks every subscribing transport must pass: ids and order, the cursor, the
 * multiplexed form, resume after a cut, the gap, Origin and authorize refusals.
 */
export function describeTransport(context: SuiteContext, transport: ServerTransport): void {
  const ws = transport === 'websocket'
  // The WebSocket has one form: every channel over one socket.
  const forms: readonly Form[] = ws ? ['plain'] : ['plain', 'multiplexed']
  const open = async (form: Form, specs: readonly ChannelSpec[], options: SubscribeOptions = {}) =>
    context.hold(await subscribe(context.url, transport, form, specs, options))
  const ok = (sub: Subscription): void => {
    expect(sub.error, 'the subscription was refused').toBeNull()
    expect(sub.status).toBe(ws ? 101 : 200)
  }
  const cursorOf = async (sub: Subscription, channel: string): Promise<string> => {
    const event = await sub.events.next(
      `the cursor of ${channel}`,
      (e) => e.type === 'cursor' && e.channel === channel,
    )
    return (event as Extract<WireEvent, { type: 'cursor' }>).cursor
  }
  const take = (sub: Subscription, channel: string, count: number): Promise<Message[]> =>
    sub.events.take(count, `messages of ${channel}`, messagesOf(channel))
  /** Publishes one more message and checks it is the very next one: nothing extra in between. */
  const nextIsSentinel = async (sub: Subscription, channel: string): Promise<void> => {
    const [sentinel] = await context.control.publish(channel, [{ data: 'sentinel' }])
    const [next] = await take(sub, channel, 1)
    expect(next?.id, 'the message after the expected ones').toBe(sentinel)
    expect(next?.data).toBe('sentinel')
  }

  describe(transport, () => {
    it('tells a fresh subscription its cursor and delivers messages with their ids, events and data, in order', async () => {
      const channel = context.channel('order')
      const sub = await open('plain', [{ channel }])
      ok(sub)
      if (!ws) {
        expect(sub.headers.get('content-type')).toContain(CONTENT_TYPES[transport])
      }
      expect(await cursorOf(sub, channel)).toBe('0-0')
      const sent = [0, 1, 2, 3, 4].map((n) => ({
        data: { n, text: `message ${n}` },
        ...(n % 2 === 1 && { event: 'trade' }),
      }))
      const ids = await context.control.publish(channel, sent)
      const got = await take(sub, channel, sent.length)
      expect(got.map((m) => m.id)).toEqual(ids)
      expect(got.map((m) => m.data)).toEqual(sent.map((m) => m.data))
      expect(got.map((m) => m.event)).toEqual(sent.map((m) => m.event ?? null))
      for (const id of ids) expect(id).toMatch(ID)
      for (let i = 1; i < ids.length; i++)
        expect(before(ids[i - 1] as string, ids[i] as string)).toBe(true)
      await nextIsSentinel(sub, channel)
      // A fresh subscription now starts from the newest id.
      const later = await open('plain', [{ channel }])
      const [sentinel] = sub.events.all().filter(messagesOf(channel)).slice(-1)
      expect(await cursorOf(later, channel)).toBe(sentinel?.id)
    })

    it(
      ws
        ? 'carries two channels over one socket'
        : 'carries two channels in one multiplexed request',
      async () => {
        const a = context.channel('mux-a')
        const b = context.channel('mux-b')
        const sub = await open('multiplexed', [{ channel: a }, { channel: b }])
        ok(sub)
        expect(await cursorOf(sub, a)).toBe('0-0')
        expect(await cursorOf(sub, b)).toBe('0-0')
        const idsA = await context.control.publish(a, [{ data: 'a0' }, { data: 'a1', event: 'x' }])
        const idsB = await context.control.publish(b, [{ data: 'b0' }])
        idsA.push(...(await context.control.publish(a, [{ data: 'a2' }])))
        const gotA = await take(sub, a, 3)
        const gotB = await take(sub, b, 1)
        expect(gotA.map((m) => [m.id, m.data, m.event])).toEqual([
          [idsA[0], 'a0', null],
          [idsA[1], 'a1', 'x'],
          [idsA[2], 'a2', null],
        ])
        expect(gotB.map((m) => [m.id, m.data])).toEqual([[idsB[0], 'b0']])
        await nextIsSentinel(sub, b)
      },
    )

    for (const form of forms) {
      it(`resumes after a cut from the last id: exactly the rest, none twice, in order${ws ? '' : ` (${form})`}`, async () => {
        const channel = context.channel('resume')
        const first = await open(form, [{ channel }])
        ok(first)
        await cursorOf(first, channel)
        const early = await context.control.publish(channel, [
          { data: 0 },
          { data: 1 },
          { data: 2 },
        ])
        const read = await take(first, channel, 3)
        expect(read.map((m) => m.id)).toEqual(early)
        first.cut()
        const late = await context.control.publish(
          channel,
          [3, 4, 5, 6].map((data) => ({ data })),
        )
        const again = await open(form, [{ channel, after: early[2] as string }])
        ok(again)
        const rest = await take(again, channel, 4)
        expect(rest.map((m) => m.id)).toEqual(late)
        expect(rest.map((m) => m.data)).toEqual([3, 4, 5, 6])
        expect(again.events.all().some((e) => e.type === 'gap')).toBe(false)
        await nextIsSentinel(again, channel)
      })

      it(`signals a gap when history no longer reaches the id, then replays what it holds${ws ? '' : ` (${form})`}`, async () => {
        const channel = context.channel('gap')
        const [lost] = await context.control.publish(channel, [{ data: 'lost' }])
        const many = Array.from({ length: history + 5 }, (_, n) => ({ data: n }))
        const ids = await context.control.publish(channel, many)
        const held = ids.slice(-history)
        const sub = await open(form, [{ channel, after: lost as string }])
        ok(sub)
        const gap = await sub.events.next(
          'the gap signal',
          (e) => e.type === 'gap' && e.channel === channel,
        )
        // SSE and the multiplexed iframe name what was lost and what history still holds
        // (docs/protocol.md); polling, the WebSocket and the plain iframe only say there is a gap.
        if (transport === 'sse' || (transport === 'iframe' && form === 'multiplexed')) {
          expect(gap.type === 'gap' && gap.lastEventId).toBe(lost)
          expect(gap.type === 'gap' && gap.oldest).toBe(held[0])
        }
        const replay = await take(sub, channel, history)
        expect(replay.map((m) => m.id)).toEqual(held)
        // The gap came first, before the replay.
        const order = sub.events
          .all()
          .filter((e) => e.channel === channel && (e.type === 'gap' || e.type === 'message'))
        expect(order[0]?.type).toBe('gap')
        await nextIsSentinel(sub, channel)
      })
    }

    for (const form of forms) {
      it(`gives a backlog of the last n messages when asked, without gap or cursor; none for 0${ws ? '' : ` (${form})`}`, async () => {
        const channel = context.channel('backlog')
        const ids = await context.control.publish(
          channel,
          [0, 1, 2, 3, 4].map((data) => ({ data })),
        )
        const sub = await open(form, [{ channel, replay: 3 }])
        ok(sub)
        const backlog = await take(sub, channel, 3)
        expect(backlog.map((m) => m.id)).toEqual(ids.slice(2))
        await nextIsSentinel(sub, channel)
        const said = sub.events.all().filter((e) => e.channel === channel)
        expect(said.some((e) => e.type === 'gap' || e.type === 'cursor')).toBe(false)
        const [newest] = said.filter(messagesOf(channel)).slice(-1)
        // An empty backlog (0 is none) is a fresh subscription: it is told its cursor.
        const none = await open(form, [{ channel, replay: 0 }])
        expect(await cursorOf(none, channel)).toBe(newest?.id)
      })
    }

    it('refuses a foreign Origin (403 ERR_ORIGIN, readable by the page) and serves the allowed one with CORS headers', async () => {
      const channel = context.channel('origin')
      for (const form of forms) {
        const refused = await open(form, [{ channel }], { origin: FOREIGN })
        expect(refused.status, `${form} form, foreign origin`).toBe(403)
        if (ws) continue
        expect(refused.error?.code).toBe('ERR_ORIGIN')
        expect(refused.headers.get('access-control-allow-origin')).toBe(FOREIGN)
        const allowed = await open(form, [{ channel }], { origin: allowedOrigin })
        ok(allowed)
        // The iframe is a navigation, not a read: no CORS headers are asked of it.
        if (transport !== 'iframe') {
          expect(allowed.headers.get('access-control-allow-origin')).toBe(allowedOrigin)
          expect(allowed.headers.get('access-control-allow-credentials')).toBe('true')
        }
        expect(await cursorOf(allowed, channel)).toBe('0-0')
      }
      if (ws) ok(await open('plain', [{ channel }], { origin: allowedOrigin }))
    })

    it(`refuses a channel authorize refuses (ERR_FORBIDDEN) or fails on (ERR_AUTHORIZE) and serves the others${ws ? ' on the same socket' : ' of the same request'}`, async () => {
      const channel = context.channel('authorized')
      if (!ws) {
        const refused = await open('plain', [{ channel: forbiddenChannel }])
        expect(refused.status).toBe(403)
        expect(refused.error?.code).toBe('ERR_FORBIDDEN')
      }
      const sub = await open('multiplexed', [
        { channel: forbiddenChannel },
        { channel: failingChannel },
        { channel },
      ])
      ok(sub)
      const refusals = await sub.events.take(2, 'the refusals', (e) => e.type === 'refused')
      // ERR_AUTHORIZE (authorize threw) is passing, ERR_FORBIDDEN final: each keeps its code.
      expect(refusals).toEqual(
        expect.arrayContaining([
          { type: 'refused', channel: forbiddenChannel, code: 'ERR_FORBIDDEN' },
          { type: 'refused', channel: failingChannel, code: 'ERR_AUTHORIZE' },
        ]),
      )
      await cursorOf(sub, channel)
      await nextIsSentinel(sub, channel)
      expect(
        sub.events.all().some((e) => e.type === 'message' && e.channel === forbiddenChannel),
      ).toBe(false)
    })

    describeTransportSpecifics(context, transport)
  })
}
