import { createLiveClient, type LiveClient } from '@livedata/core'
import { startLiveServer, type TestLiveServer } from '@livedata/test-server'
import { derived, get, type Readable } from 'svelte/store'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type LiveDataStore, type LiveSnapshot, liveData } from '../src/index'
import type { Quote } from './quote'

const nodeFetch = globalThis.fetch

let server: TestLiveServer
let client: LiveClient

beforeEach(async () => {
  server = await startLiveServer()
  client = createLiveClient({
    url: server.url,
    // These tests count the SSE requests the server sees.
    transports: ['sse'],
    fetch: nodeFetch,
    disconnectDelay: 0,
  })
})

afterEach(async () => {
  client.close()
  await server.close()
})

/** Resolves with the first snapshot `store` gives that passes `test`. */
function next<T>(
  store: LiveDataStore<T>,
  test: (snapshot: LiveSnapshot<T>) => boolean,
): Promise<LiveSnapshot<T>> {
  return new Promise((resolve) => {
    const stop = store.subscribe((snapshot) => {
      if (!test(snapshot)) return
      queueMicrotask(() => stop())
      resolve(snapshot)
    })
  })
}

describe('the store contract', () => {
  it('calls the listener at once with the current snapshot and returns the unsubscribe', () => {
    const prices = liveData<Quote>('prices', { initialData: { symbol: 'AAPL', price: 1 } }, client)
    const seen: Array<LiveSnapshot<Quote>> = []
    const unsubscribe = prices.subscribe((snapshot) => seen.push(snapshot))
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({ status: 'connecting', data: { symbol: 'AAPL', price: 1 } })
    expect(typeof unsubscribe).toBe('function')
    unsubscribe()
  })

  it('connects on the first subscriber and lets go after the last one', async () => {
    const prices = liveData<Quote>('prices', undefined, client)
    expect(server.streams).toHaveLength(0)
    const stopFirst = prices.subscribe(() => {})
    const stopSecond = prices.subscribe(() => {})
    const stream = await server.stream(0)
    await next(prices, (snapshot) => snapshot.status === 'open')
    stopFirst()
    stopSecond()
    await stream.closed
    expect(server.streams).toHaveLength(1)
    expect(client.source('prices').getSnapshot().status).toBe('closed')
  })

  it('calls the listener once per new snapshot, never twice with the same one', async () => {
    const prices = liveData<Quote>('prices', undefined, client)
    const seen: Array<LiveSnapshot<Quote | undefined>> = []
    const stop = prices.subscribe((snapshot) => seen.push(snapshot))
    await next(prices, (snapshot) => snapshot.status === 'open')
    server.live.publish('prices', { symbol: 'AAPL', price: 191.2 })
    await next(prices, (snapshot) => snapshot.data?.price === 191.2)
    stop()
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen.at(-1)?.data).toEqual({ symbol: 'AAPL', price: 191.2 })
  })

  it("works with svelte/store's get and derived", async () => {
    const prices = liveData<Quote>('prices', { initialData: { symbol: 'AAPL', price: 1 } }, client)
    // The type is Svelte's own: a LiveDataStore is a Readable.
    const readable: Readable<LiveSnapshot<Quote>> = prices
    expect(get(readable).data).toEqual({ symbol: 'AAPL', price: 1 })

    const price = derived(prices, ($prices) => $prices.data?.price)
    const values: Array<number | undefined> = []
    const stop = price.subscribe((value) => values.push(value))
    await next(prices, (snapshot) => snapshot.status === 'open')
    server.live.publish('prices', { symbol: 'AAPL', price: 191.2 })
    await next(prices, (snapshot) => snapshot.data?.price === 191.2)
    stop()
    expect(values).toEqual([1, 191.2])
  })

  it('exposes send, which reaches the server', async () => {
    const prices = liveData('prices', undefined, client)
    const received = new Promise<unknown>((resolve) =>
      server.live.on('message', (_channel, data) => resolve(data)),
    )
    await prices.send({ type: 'ping' })
    expect(await received).toEqual({ type: 'ping' })
  })

  it('asks for a client when called outside a component without one', () => {
    expect(() => liveData('prices')).toThrow(
      'outside components pass it as liveData(channel, options, client)',
    )
  })
})
