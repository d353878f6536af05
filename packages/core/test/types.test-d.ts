import { describe, expectTypeOf, it } from 'vitest'
import {
  createLiveClient,
  type LiveDataError,
  type LiveSnapshot,
  type LiveSource,
  type LiveStatus,
  type SourceOptions,
  type SourceOptionsWithInitialData,
  type StandardSchemaLike,
  type TransportName,
} from '../src/index'

interface Price {
  symbol: string
  price: number
}

const client = createLiveClient({ url: 'http://localhost:3000/live' })

/** A Standard Schema as zod or valibot export one, reduced to its type. */
declare const PriceSchema: StandardSchemaLike<Price>
declare const ListSchema: StandardSchemaLike<Price[]>

describe('public types', () => {
  it('a source without initialData has data T | undefined', () => {
    const prices = client.source<Price>('prices')
    expectTypeOf(prices).toEqualTypeOf<LiveSource<Price | undefined>>()
    expectTypeOf(prices.getSnapshot().data).toEqualTypeOf<Price | undefined>()
    expectTypeOf(prices.getServerSnapshot().data).toEqualTypeOf<Price | undefined>()
    expectTypeOf(prices.getSnapshot().status).toEqualTypeOf<LiveStatus>()
    expectTypeOf(prices.getSnapshot().error).toEqualTypeOf<LiveDataError | null>()
    expectTypeOf(prices.getSnapshot().error?.serverCode).toEqualTypeOf<string | undefined>()
  })

  it('a source with initialData has data T, inferred from it', () => {
    const prices = client.source('prices', { initialData: [] as Price[] })
    expectTypeOf(prices).toEqualTypeOf<LiveSource<Price[]>>()
    expectTypeOf(prices.getSnapshot().data).toEqualTypeOf<Price[]>()
    const explicit = client.source<Price[]>('explicit', { initialData: [] })
    expectTypeOf(explicit.getSnapshot().data).toEqualTypeOf<Price[]>()
  })

  it('reduce folds messages of type M into data of type T; previous is T with initialData', () => {
    const feed = client.source<Price[], Price>('feed', {
      initialData: [],
      reduce: (list, price, message) => {
        expectTypeOf(list).toEqualTypeOf<Price[]>()
        expectTypeOf(price).toEqualTypeOf<Price>()
        expectTypeOf(message.id).toEqualTypeOf<string | null>()
        return [...list, price]
      },
    })
    expectTypeOf(feed.getSnapshot()).toEqualTypeOf<LiveSnapshot<Price[]>>()
  })

  it('reduce without initialData sees previous as T | undefined', () => {
    const feed = client.source<Price[], Price>('feed', {
      reduce: (list, price) => {
        expectTypeOf(list).toEqualTypeOf<Price[] | undefined>()
        return [...(list ?? []), price]
      },
    })
    expectTypeOf(feed.getSnapshot().data).toEqualTypeOf<Price[] | undefined>()
  })

  it('rejects a reduce that returns the wrong type', () => {
    client.source<number[], number>('n', {
      initialData: [],
      // @ts-expect-error reduce must return number[]
      reduce: (_list, n) => n,
    })
  })

  it('a schema infers the data type', () => {
    const prices = client.source('prices', { schema: PriceSchema })
    expectTypeOf(prices).toEqualTypeOf<LiveSource<Price | undefined>>()
    const counts = client.source('counts', { schema: (value: unknown) => Number(value) })
    expectTypeOf(counts.getSnapshot().data).toEqualTypeOf<number | undefined>()
    const withData = client.source('with-data', { schema: PriceSchema, initialData: null })
    expectTypeOf(withData.getSnapshot().data).toEqualTypeOf<Price | null>()
    const list = client.source('list', { schema: ListSchema, initialData: [] })
    expectTypeOf(list.getSnapshot().data).toEqualTypeOf<Price[]>()
  })

  it('a schema function decides the message type', () => {
    client.source<number>('n', { schema: (value: unknown) => Number(value) })
    // @ts-expect-error the schema must produce a number
    client.source<number>('n', { schema: (value: unknown) => String(value) })
  })

  it('send is typed by Send and resolves with Ack', () => {
    interface Draft {
      text: string
    }
    const chat = client.source<Price[], Price, Draft, { id: string }>('chat', { initialData: [] })
    expectTypeOf(chat.send).parameter(0).toEqualTypeOf<Draft>()
    expectTypeOf(chat.send({ text: 'hi' })).toEqualTypeOf<Promise<{ id: string }>>()
    // @ts-expect-error a typo in the payload
    chat.send({ txt: 'hi' })
    const schemaChat = client.source<Price, Price, Draft>('schema-chat', { schema: PriceSchema })
    expectTypeOf(schemaChat.send).parameter(0).toEqualTypeOf<Draft>()
    const untyped = client.source('untyped')
    expectTypeOf(untyped.send(1)).toEqualTypeOf<Promise<unknown>>()
  })

  it('options declared with the exported SourceOptions type fit client.source', () => {
    const declared: SourceOptions<number[], number> = {
      initialData: [],
      reduce: (list, n) => [...list, n],
    }
    // The type says initialData may be missing: data may be undefined.
    const feed = client.source('feed', declared)
    expectTypeOf(feed.getSnapshot().data).toEqualTypeOf<number[] | undefined>()
    const bare: SourceOptions<Price> = { replay: 5 }
    expectTypeOf(client.source('bare', bare).getSnapshot().data).toEqualTypeOf<Price | undefined>()
  })

  it('options declared with SourceOptionsWithInitialData give data T', () => {
    const declared: SourceOptionsWithInitialData<number[], number> = {
      initialData: [],
      reduce: (list, n) => {
        expectTypeOf(list).toEqualTypeOf<number[]>()
        return [...list, n]
      },
    }
    const feed = client.source('feed', declared)
    expectTypeOf(feed).toEqualTypeOf<LiveSource<number[]>>()
    // @ts-expect-error initialData is required
    const missing: SourceOptionsWithInitialData<number[]> = { replay: 1 }
    void missing
  })

  it('generic wrappers typed with the exported option types type-check', () => {
    function wrap<T>(options: SourceOptions<T>) {
      return client.source('wrapped', options)
    }
    expectTypeOf(wrap<Price>({ replay: 1 })).toEqualTypeOf<LiveSource<Price | undefined>>()
    function wrapReduce<T, M>(options: SourceOptions<T, M>) {
      return client.source('wrapped', options)
    }
    const folded = wrapReduce({ reduce: (total: number, n: number) => total + n })
    expectTypeOf(folded.getSnapshot().data).toEqualTypeOf<number | undefined>()
    function wrapWithData<T, M>(options: SourceOptionsWithInitialData<T, M>) {
      return client.source('wrapped', options)
    }
    const list = wrapWithData({ initialData: [] as Price[], reduce: (l, p: Price) => [...l, p] })
    expectTypeOf(list).toEqualTypeOf<LiveSource<Price[]>>()
    function wrapTyped<T, M, Send>(options: SourceOptionsWithInitialData<T, M>) {
      return client.source<T, M, Send>('wrapped', options)
    }
    const chat = wrapTyped<string[], string, { text: string }>({ initialData: [] })
    expectTypeOf(chat.send).parameter(0).toEqualTypeOf<{ text: string }>()
  })

  it('transport names are open to add-ons, and nothing else passes for one', () => {
    createLiveClient({ transports: ['sse', 'websocket', 'carrier-pigeon'] })
    expectTypeOf<'carrier-pigeon'>().toMatchTypeOf<TransportName>()
    // @ts-expect-error not a transport
    createLiveClient({ transports: [42] })
  })

  it('replay, gap, query, credentials and reconnect', () => {
    const c = createLiveClient({
      url: '/live?token=abc',
      query: async () => ({ token: 'fresh' }),
      credentials: 'include',
      headers: () => ({ authorization: 'Bearer x' }),
    })
    c.source('chat', { replay: 50, gap: 'keep' })
    // @ts-expect-error gap is 'reset' or 'keep'
    c.source('chat', { gap: 'drop' })
    expectTypeOf(c.reconnect).toEqualTypeOf<() => void>()
  })

  it('subscribe returns the unsubscribe function and send a promise', () => {
    const prices = client.source<Price>('prices')
    expectTypeOf(prices.subscribe(() => {})).toEqualTypeOf<() => void>()
    expectTypeOf(prices.send({ buy: 'AAPL' })).toEqualTypeOf<Promise<unknown>>()
  })
})
