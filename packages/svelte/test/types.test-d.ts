import { get } from 'svelte/store'
import { describe, expectTypeOf, it } from 'vitest'
import {
  firstData,
  getLiveClient,
  type LiveDataError,
  type LiveDataStore,
  type LiveSnapshot,
  type LiveStatus,
  liveData,
  setLiveClient,
} from '../src/index'
import { client, type Draft, type Price, PriceSchema } from './type-fixtures'

describe('public types', () => {
  it('without initialData, data is T | undefined', () => {
    const prices = liveData<Price>('prices')
    expectTypeOf(prices).toEqualTypeOf<LiveDataStore<Price | undefined>>()
    expectTypeOf(get(prices)).toEqualTypeOf<LiveSnapshot<Price | undefined>>()
    expectTypeOf(get(prices).data).toEqualTypeOf<Price | undefined>()
    expectTypeOf(get(prices).status).toEqualTypeOf<LiveStatus>()
    expectTypeOf(get(prices).error).toEqualTypeOf<LiveDataError | null>()
  })

  it('with initialData, data is T, inferred or given; the client may be passed', () => {
    expectTypeOf(get(liveData('prices', { initialData: [] as Price[] })).data).toEqualTypeOf<
      Price[]
    >()
    expectTypeOf(get(liveData<Price[]>('prices', { initialData: [] }, client)).data).toEqualTypeOf<
      Price[]
    >()
    expectTypeOf(get(liveData<Price>('prices', undefined, client)).data).toEqualTypeOf<
      Price | undefined
    >()
  })

  it('reduce folds M into T; its previous is T with initialData, T | undefined without', () => {
    const feed = liveData<Price[], Price>('feed', {
      initialData: [],
      reduce: (list, price) => {
        expectTypeOf(list).toEqualTypeOf<Price[]>()
        expectTypeOf(price).toEqualTypeOf<Price>()
        return [...list, price]
      },
    })
    expectTypeOf(get(feed).data).toEqualTypeOf<Price[]>()
    liveData<Price[], Price>('feed', {
      reduce: (list, price) => {
        expectTypeOf(list).toEqualTypeOf<Price[] | undefined>()
        return [...(list ?? []), price]
      },
    })
    liveData<number[], number>('n', {
      initialData: [],
      // @ts-expect-error reduce must return number[]
      reduce: (_list, n) => n,
    })
  })

  it('a schema infers the data type', () => {
    expectTypeOf(get(liveData('prices', { schema: PriceSchema })).data).toEqualTypeOf<
      Price | undefined
    >()
    expectTypeOf(
      get(liveData('prices', { schema: PriceSchema, initialData: null })).data,
    ).toEqualTypeOf<Price | null>()
    expectTypeOf(
      get(liveData('count', { schema: (value: unknown) => Number(value) })).data,
    ).toEqualTypeOf<number | undefined>()
  })

  it('send is typed by Send and resolves with Ack', () => {
    const chat = liveData<Price[], Price, Draft, { id: string }>('chat', { initialData: [] })
    expectTypeOf(chat.send).parameter(0).toEqualTypeOf<Draft>()
    expectTypeOf(chat.send({ text: 'hi' }, { event: 'say' })).toEqualTypeOf<
      Promise<{ id: string }>
    >()
    // @ts-expect-error a typo in the payload
    chat.send({ txt: 'hi' })
    expectTypeOf(liveData('prices').send({ type: 'ping' })).toEqualTypeOf<Promise<unknown>>()
  })

  it('the context helpers take and give the client', () => {
    expectTypeOf(setLiveClient(client)).toEqualTypeOf(client)
    expectTypeOf(getLiveClient()).toEqualTypeOf(client)
  })

  it('firstData resolves with the data type without undefined; initialData null stays', () => {
    expectTypeOf(firstData(liveData<Price>('prices', undefined, client))).toEqualTypeOf<
      Promise<Price>
    >()
    expectTypeOf(firstData(liveData('prices', { schema: PriceSchema }, client))).toEqualTypeOf<
      Promise<Price>
    >()
    expectTypeOf(
      firstData(liveData('prices', { schema: PriceSchema, initialData: null }, client)),
    ).toEqualTypeOf<Promise<Price | null>>()
    // @ts-expect-error firstData takes a liveData store
    firstData({ subscribe: () => () => {} })
  })
})
