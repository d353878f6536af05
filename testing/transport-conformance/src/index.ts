import {
  createLiveClient as coreCreateLiveClient,
  type TransportConnection,
  type TransportContext,
  type TransportHandlers,
} from '@livedata/core'
import type { LiveServerOptions } from '@livedata/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type {
  ConformanceClient,
  ConformanceClientOptions,
  ConformanceOptions,
  ConformanceSnapshot,
  ConformanceSource,
  Received,
} from './client'
import { type ConformanceServer, startConformanceServer } from './server'
import { waitForServer, waitForSnapshot } from './wait'

export type * from './client'
export type { ConformanceServer, HeldConnection } from './server'
export { startConformanceServer } from './server'
export { waitForServer, waitForSnapshot } from './wait'

/** The least a transport must be for the suite: a name and `connect`, as `TransportDefinition`. */
interface DefinitionLike {
  readonly name: string
  readonly heartbeat?: boolean
  connect(context: never, handlers: never): unknown
}

const range = (from: number, count: number): number[] =>
  Array.from({ length: count }, (_, i) => from + i)
const numbers = (snapshot: ConformanceSnapshot): number[] => snapshot.data.map(({ n }) => n)
const noop = (): void => {}

/**
 * Registers the transport conformance suite for `definition` (a `TransportDefinition`): vitest
 * tests that run it against a real @livedata/server on loopback, every channel of a client over
 * one connection, resume after cuts without loss or repeats, gaps, refusals, joins and leaves
 * under load, release on the last unsubscribe, and sends. Call it at the top level of a test file.
 *
 * @example
 * ```ts
 * import { describeTransportConformance } from '@livedata/transport-conformance'
 * import { myTransport } from '../src/index'
 *
 * describeTransportConformance('my-transport', myTransport)
 * ```
 */
export function describeTransportConformance<D extends DefinitionLike>(
  name: string,
  definition: D,
  options: ConformanceOptions<D> = {},
): void {
  const create =
    options.createLiveClient ??
    (coreCreateLiveClient as unknown as (o: ConformanceClientOptions<D>) => ConformanceClient)
  const timeout = options.timeout ?? 30_000
  // Whether the transport's channel connections carry sends (`send`), seen as it connects.
  let carriesSends: boolean | null = null
  const observed = {
    ...definition,
    connect(context: TransportContext, handlers: TransportHandlers): TransportConnection {
      const open = definition.connect as (c: TransportContext, h: TransportHandlers) => unknown
      const connection = open(context, handlers) as TransportConnection
      if (context.channel) carriesSends = typeof connection.send === 'function'
      return connection
    },
  } as unknown as D

  describe(`transport conformance: ${name}`, () => {
    const cleanups: Array<() => Promise<void> | void> = []
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    })

    async function server(more: LiveServerOptions = {}): Promise<ConformanceServer> {
      const started = await startConformanceServer({ ...options.server, ...more })
      cleanups.push(() => started.close())
      return started
    }

    /** A client of `server` on the transport alone, tagged `tag` in every URL it asks for. */
    function client(at: ConformanceServer, tag = 'a'): ConformanceClient {
      const made = create({
        ...options.client,
        url: at.url,
        transports: [observed],
        reconnect: { minDelay: 5, maxDelay: 50 },
        disconnectDelay: 0,
        query: { conformance: tag },
      })
      cleanups.push(() => made.close())
      return made
    }

    /** A source of `channel` (only `event`, if given) that keeps every message, in order. */
    function follow(of: ConformanceClient, channel: string, event?: string): ConformanceSource {
      return of.source(channel, {
        ...(event !== undefined && { event }),
        initialData: [],
        reduce: (list, data, { id, event }) => [
          ...list,
          { n: (data as { n: number }).n, id, event },
        ],
      })
    }

    /** Subscribes `source` (for the rest of the test) and waits until it is open. */
    async function subscribeOpen(source: ConformanceSource): Promise<ConformanceSnapshot> {
      cleanups.push(source.subscribe(noop))
      return waitForSnapshot(source, (s) => s.status === 'open', 'the source to open')
    }

    const publish = (at: ConformanceServer, channel: string, from: number, count: number) =>
      range(from, count).map((n) => at.live.publish(channel, { n }))

    /** Connections `tag`'s client holds now, its sends (POST) left out. */
    const heldBy = (at: ConformanceServer, tag: string): number =>
      [...at.held].filter((c) => c.client === tag && !c.label.startsWith('POST')).length

    it('opens and delivers messages with their ids, in order', { timeout }, async () => {
      const at = await server()
      const prices = follow(client(at), 'prices')
      expect((await subscribeOpen(prices)).transport).toBe(definition.name)
      const ids = publish(at, 'prices', 0, 20)
      const done = await waitForSnapshot(prices, (s) => s.data.length >= 20, '20 messages')
      expect(numbers(done)).toEqual(range(0, 20))
      expect(done.data.map(({ id }) => id)).toEqual(ids)
      expect(done.lastEventId).toBe(ids.at(-1))
      expect(done.error).toBeNull()
    })

    it('delivers the named event a source asks for, and only it', { timeout }, async () => {
      const at = await server()
      const trades = follow(client(at), 'prices', 'trade')
      await subscribeOpen(trades)
      const ids = range(0, 20).map((n) =>
        at.live.publish('prices', { n }, n % 2 === 1 ? { event: 'trade' } : {}),
      )
      const done = await waitForSnapshot(trades, (s) => s.data.at(-1)?.n === 19, 'the last trade')
      expect(numbers(done)).toEqual(range(0, 10).map((i) => i * 2 + 1))
      expect(done.data.map(({ event }) => event)).toEqual(range(0, 10).map(() => 'trade'))
      expect(done.data.map(({ id }) => id)).toEqual(ids.filter((_, n) => n % 2 === 1))
    })

    it('carries several channels of one client over one connection', { timeout }, async () => {
      const at = await server()
      const c = client(at)
      const channels = ['prices', 'news', 'chat']
      const sources = channels.map((channel) => follow(c, channel))
      await Promise.all(sources.map(subscribeOpen))
      const firsts = channels.map((channel) => publish(at, channel, 0, 1))
      await Promise.all(
        sources.map((s) => waitForSnapshot(s, (x) => x.data.length >= 1, 'a first message')),
      )
      expect(firsts).toHaveLength(3)
      // From now on, while messages flow on every channel, the server never holds more than one
      // connection of this client, and every one it makes carries all three channels.
      const since = at.made.length
      let most = heldBy(at, 'a')
      const stop = at.onChange(() => {
        most = Math.max(most, heldBy(at, 'a'))
      })
      for (let round = 1; round <= 10; round++) {
        for (const channel of channels) publish(at, channel, round, 1)
        await Promise.all(
          sources.map((s) => waitForSnapshot(s, (x) => x.data.length > round, `message ${round}`)),
        )
      }
      stop()
      expect(most).toBeLessThanOrEqual(1)
      for (const { label } of at.made.slice(since).filter((m) => m.client === 'a')) {
        if (label.startsWith('UPGRADE')) continue
        for (const channel of channels) expect(label).toContain(`c=${channel}`)
      }
      for (const source of sources) expect(numbers(source.getSnapshot())).toEqual(range(0, 11))
    })

    it('resumes after the server drops every connection, 12 times: none lost, none twice, in order', {
      timeout,
    }, async () => {
      const at = await server()
      const seq = follow(client(at), 'seq')
      await subscribeOpen(seq)
      let sent = 0
      for (let cut = 0; cut < 12; cut++) {
        publish(at, 'seq', sent, 5)
        sent += 5
        await waitForSnapshot(seq, (s) => s.data.length >= sent, `${sent} messages before a cut`)
        at.dropConnections()
        // Published while the client is cut off: they reach it from history, on resume.
        publish(at, 'seq', sent, 5)
        sent += 5
        await waitForSnapshot(
          seq,
          (s) => s.data.length >= sent && s.status === 'open',
          `${sent} messages after cut ${cut + 1}`,
        )
      }
      const done = seq.getSnapshot()
      expect(numbers(done)).toEqual(range(0, 120))
      expect(done.gap).toBe(false)
    })

    it('flags a gap when history no longer reaches back, and rebuilds from what it holds', {
      timeout,
    }, async () => {
      const at = await server({ history: 5 })
      const news = follow(client(at), 'news')
      const stop = news.subscribe(noop)
      await waitForSnapshot(news, (s) => s.status === 'open', 'the source to open')
      publish(at, 'news', 0, 1)
      await waitForSnapshot(news, (s) => s.data.length === 1, 'a first message')
      stop()
      // Not waitForSnapshot: a subscriber waiting for `closed` would keep the source.
      await vi.waitFor(() => expect(news.getSnapshot().status).toBe('closed'), { timeout })
      publish(at, 'news', 1, 20)
      cleanups.push(news.subscribe(noop))
      const back = await waitForSnapshot(
        news,
        (s) => s.gap && s.data.at(-1)?.n === 20,
        'the gap flag and the last message',
      )
      expect(numbers(back)).toEqual(range(16, 5))
      expect(back.status).toBe('open')
    })

    it('a channel refused by authorize closes alone (ERR_FORBIDDEN final, ERR_AUTHORIZE retried) while the others flow', {
      timeout,
    }, async () => {
      const asked = { secret: 0, flaky: 0 }
      const at = await server({
        onError: noop,
        authorize({ channel }) {
          if (channel === 'secret') asked.secret++
          if (channel === 'secret') return false
          // authorize throwing (a database down) is ERR_AUTHORIZE: passing, retried.
          if (channel === 'flaky' && ++asked.flaky <= 2) throw new Error('database down')
          return true
        },
      })
      const c = client(at)
      const ok = follow(c, 'ok')
      const statuses: string[] = []
      cleanups.push(ok.subscribe(() => statuses.push(ok.getSnapshot().status)))
      await waitForSnapshot(ok, (s) => s.status === 'open', 'the allowed channel to open')
      const secret = follow(c, 'secret')
      const flaky = follow(c, 'flaky')
      const flakyErrors: string[] = []
      cleanups.push(secret.subscribe(noop))
      cleanups.push(
        flaky.subscribe(() => {
          const code = flaky.getSnapshot().error?.serverCode
          if (code && flakyErrors.at(-1) !== code) flakyErrors.push(code)
        }),
      )
      let sent = 0
      const refused = await waitForSnapshot(
        secret,
        (s) => s.status === 'closed' && s.error !== null,
        'the refusal',
      )
      expect(refused.error?.serverCode).toBe('ERR_FORBIDDEN')
      // Messages flow on `ok` and `flaky` alike; `flaky` gets those published once it is
      // admitted (a fresh subscription starts from now), then every one of them.
      let flakySent = 0
      const round = async (): Promise<void> => {
        publish(at, 'ok', sent, 10)
        publish(at, 'flaky', flakySent++, 1)
        sent += 10
        await waitForSnapshot(ok, (s) => s.data.length >= sent, `${sent} messages`)
      }
      while (flaky.getSnapshot().data.length === 0 && sent < 2000) await round()
      for (let more = 0; more < 5; more++) await round()
      const last = flakySent - 1
      const admitted = await waitForSnapshot(flaky, (s) => s.data.at(-1)?.n === last, 'flaky')
      const got = numbers(admitted)
      expect(got).toEqual(range(got[0] ?? -1, got.length))
      expect(got.length).toBeGreaterThanOrEqual(6)
      expect(flakyErrors).toContain('ERR_AUTHORIZE')
      // Refused twice, then admitted (a polling transport asks again with every poll).
      expect(asked.flaky).toBeGreaterThanOrEqual(3)
      expect(numbers(ok.getSnapshot())).toEqual(range(0, sent))
      expect(statuses).not.toContain('reconnecting')
      expect(statuses).not.toContain('closed')
      // Final: never asked again.
      expect(asked.secret).toBe(1)
      expect(secret.getSnapshot().status).toBe('closed')
    })

    it('joining and leaving channels while 1,000 sequenced messages flow on another: none lost, none twice, in order', {
      timeout,
    }, async () => {
      const at = await server()
      const c = client(at)
      const seq = follow(c, 'seq')
      await subscribeOpen(seq)
      let leave: (() => void) | null = null
      let sent = 0
      // Each step starts a join or a leave and publishes on both sides of it (the replaced
      // request or the subscribe frame is on its way meanwhile), then waits for delivery.
      for (let step = 0; step < 50; step++) {
        let side: ConformanceSource | null = null
        if (leave) {
          leave()
          leave = null
        } else {
          side = follow(c, `side-${step}`)
          leave = side.subscribe(noop)
        }
        publish(at, 'seq', sent, 10)
        sent += 10
        await new Promise<void>((resolve) => setImmediate(resolve))
        publish(at, 'seq', sent, 10)
        sent += 10
        await waitForSnapshot(seq, (s) => s.data.length >= sent, `${sent} messages`)
        if (side) await waitForSnapshot(side, (s) => s.status === 'open', `side-${step} to open`)
      }
      leave?.()
      const done = await waitForSnapshot(seq, (s) => s.data.length >= 1000, '1,000 messages')
      expect(numbers(done)).toEqual(range(0, 1000))
      expect(done.gap).toBe(false)
    })

    it('the last source letting go releases the connection', { timeout }, async () => {
      const at = await server()
      const c = client(at)
      const prices = follow(c, 'prices')
      const news = follow(c, 'news')
      const stops = [prices.subscribe(noop), news.subscribe(noop)]
      await Promise.all(
        [prices, news].map((s) => waitForSnapshot(s, (x) => x.status === 'open', 'open')),
      )
      for (const stop of stops) stop()
      await waitForServer(at, () => heldBy(at, 'a') === 0, 'the client to let go')
      await vi.waitFor(() => expect(at.live.stats().connections).toBe(0), { timeout })
      const since = at.made.length
      // Another client connects and gets three messages, one after the other: time passes on
      // the wire (several polls of a polling transport), and the first client holds nothing.
      const probe = follow(client(at, 'probe'), 'prices')
      await subscribeOpen(probe)
      for (let n = 0; n < 3; n++) {
        publish(at, 'prices', n, 1)
        await waitForSnapshot(probe, (s) => s.data.length === n + 1, 'the probe’s message')
      }
      await waitForServer(at, () => heldBy(at, 'a') === 0, 'the client to hold nothing')
      // A request already on its way when the client let go may still arrive (aborted); a
      // transport that went on asking would make one per poll.
      const after = at.made.slice(since).filter((m) => m.client === 'a')
      expect(after.length, after.map((m) => m.label).join(', ')).toBeLessThanOrEqual(1)
    })

    it('sends round-trip, in order: over the transport when it has send, else by POST', {
      timeout,
    }, async () => {
      const at = await server()
      const heard: Array<[string, unknown]> = []
      at.live.on('message', (channel, data) => {
        heard.push([channel, data])
      })
      const chat = follow(client(at), 'chat')
      await subscribeOpen(chat)
      await Promise.all([chat.send({ n: 1 }), chat.send({ n: 2 }), chat.send({ n: 3 })])
      expect(heard).toEqual([
        ['chat', { n: 1 }],
        ['chat', { n: 2 }],
        ['chat', { n: 3 }],
      ])
      const posts = at.made.filter((m) => m.label.startsWith('POST'))
      expect(carriesSends === true ? posts : posts.map((m) => m.label.split('?')[0])).toEqual(
        carriesSends === true ? [] : ['POST /live/chat', 'POST /live/chat', 'POST /live/chat'],
      )
    })
  })
}

export type { Received }
