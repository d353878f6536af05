import { describe, expectTypeOf, it } from 'vitest'
import { setLiveClient as setLiveClientFromMain } from '../src/index'
import {
  getLiveClient,
  type LiveDataError,
  type LiveDataState,
  type LiveSnapshot,
  type LiveStatus,
  liveData,
  setLiveClient,
  type TransportName,
} from '../src/runes'
import { client, type Draft, type Price, PriceSchema } from './type-fixtures'

describe('public types of @livedata/svelte/runes', () => {
  it('without initialData, data is T | undefined; every snapshot field is there', () => {
    const prices = liveData<Price>('prices')
    expectTypeOf(prices).toEqualTypeOf<LiveDataState<Price | undefined>>()
    expectTypeOf(prices).toExtend<LiveSnapshot<Price | undefined>>()
    expectTypeOf(prices.data).toEqualTypeOf<Price | undefined>()
    expectTypeOf(prices.status).toEqualTypeOf<LiveStatus>()
    expectTypeOf(prices.error).toEqualTypeOf<LiveDataError | null>()
    expectTypeOf(prices.transport).toEqualTypeOf<TransportName | null>()
  })

  it('the fields are read-only', () => {
    const prices = liveData<Price[]>('prices', { initialData: [] }, client)
    // @ts-expect-error the snapshot is read, not written
    prices.data = []
    // @ts-expect-error the snapshot is read, not written
    prices.status = 'open'
  })

  it('with initialData, data is T, inferred or given; the client may be passed', () => {
    expectTypeOf(liveData('prices', { initialData: [] as Price[] }).data).toEqualTypeOf<Price[]>()
    expectTypeOf(liveData<Price[]>('prices', { initialData: [] }, client).data).toEqualTypeOf<
      Price[]
    >()
    expectTypeOf(liveData<Price>('prices', undefined, client).data).toEqualTypeOf<
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
    expectTypeOf(feed.data).toEqualTypeOf<Price[]>()
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
    expectTypeOf(liveData('prices', { schema: PriceSchema }).data).toEqualTypeOf<
      Price | undefined
    >()
    expectTypeOf(
      liveData('prices', { schema: PriceSchema, initialData: null }).data,
    ).toEqualTypeOf<Price | null>()
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

  it('the context helpers are the main entry’s', () => {
    expectTypeOf(setLiveClient).toEqualTypeOf(setLiveClientFromMain)
    expectTypeOf(setLiveClient(client)).toEqualTypeOf(client)
    expectTypeOf(getLiveClient()).toEqualTypeOf(client)
  })
})
