import { describe, expectTypeOf, it } from 'vitest'
import {
  createLiveClient,
  type LiveDataError,
  type LiveSnapshot,
  type LiveSource,
  type LiveStatus,
} from '../src/index'

interface Price {
  symbol: string
  price: number
}

const client = createLiveClient({ url: 'http://localhost:3000/live' })

describe('public types', () => {
  it('a source carries its data type into the snapshot', () => {
    const prices = client.source<Price>('prices')
    expectTypeOf(prices).toEqualTypeOf<LiveSource<Price>>()
    expectTypeOf(prices.getSnapshot().data).toEqualTypeOf<Price | undefined>()
    expectTypeOf(prices.getSnapshot().status).toEqualTypeOf<LiveStatus>()
    expectTypeOf(prices.getSnapshot().error).toEqualTypeOf<LiveDataError | null>()
  })

  it('reduce folds messages of type M into data of type T', () => {
    const feed = client.source<Price[], Price>('feed', {
      initialData: [],
      reduce: (list, price, message) => {
        expectTypeOf(list).toEqualTypeOf<Price[] | undefined>()
        expectTypeOf(price).toEqualTypeOf<Price>()
        expectTypeOf(message.id).toEqualTypeOf<string | null>()
        return [...(list ?? []), price]
      },
    })
    expectTypeOf(feed.getSnapshot()).toEqualTypeOf<LiveSnapshot<Price[]>>()
  })

  it('rejects a reduce that returns the wrong type', () => {
    client.source<number[], number>('n', {
      // @ts-expect-error reduce must return number[]
      reduce: (_list, n) => n,
    })
  })

  it('a schema function decides the message type', () => {
    client.source<number>('n', { schema: (value: unknown) => Number(value) })
    // @ts-expect-error the schema must produce a number
    client.source<number>('n', { schema: (value: unknown) => String(value) })
  })

  it('only known transports are accepted by name', () => {
    createLiveClient({ transports: ['sse', 'websocket'] })
    // @ts-expect-error not a transport
    createLiveClient({ transports: ['carrier-pigeon'] })
  })

  it('subscribe returns the unsubscribe function and send a promise', () => {
    const prices = client.source<Price>('prices')
    expectTypeOf(prices.subscribe(() => {})).toEqualTypeOf<() => void>()
    expectTypeOf(prices.send({ buy: 'AAPL' })).toEqualTypeOf<Promise<unknown>>()
  })
})
