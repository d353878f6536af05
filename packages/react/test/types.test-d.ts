import { createLiveClient, type StandardSchemaLike } from '@livedata/core'
import { describe, expectTypeOf, it } from 'vitest'
import {
  type LiveDataError,
  type LiveDataResult,
  type LiveStatus,
  type TransportName,
  useLiveClient,
  useLiveData,
  useSuspenseLiveData,
} from '../src/index'

interface Price {
  symbol: string
  price: number
}

interface Draft {
  text: string
}

/** A Standard Schema as zod or valibot export one, reduced to its type. */
declare const PriceSchema: StandardSchemaLike<Price>

describe('public types', () => {
  it('without initialData, data is T | undefined', () => {
    const result = useLiveData<Price>('prices')
    expectTypeOf(result).toEqualTypeOf<LiveDataResult<Price | undefined>>()
    expectTypeOf(result.data).toEqualTypeOf<Price | undefined>()
    expectTypeOf(result.status).toEqualTypeOf<LiveStatus>()
    expectTypeOf(result.error).toEqualTypeOf<LiveDataError | null>()
    expectTypeOf(result.transport).toEqualTypeOf<TransportName | null>()
    expectTypeOf(result.lastEventId).toEqualTypeOf<string | null>()
    expectTypeOf(result.attempt).toEqualTypeOf<number>()
    expectTypeOf(result.gap).toEqualTypeOf<boolean>()
  })

  it('with initialData, data is T, inferred or given', () => {
    expectTypeOf(useLiveData('prices', { initialData: [] as Price[] }).data).toEqualTypeOf<
      Price[]
    >()
    expectTypeOf(useLiveData<Price[]>('prices', { initialData: [] }).data).toEqualTypeOf<Price[]>()
  })

  it('reduce folds M into T; its previous is T with initialData, T | undefined without', () => {
    const { data } = useLiveData<Price[], Price>('feed', {
      initialData: [],
      reduce: (list, price) => {
        expectTypeOf(list).toEqualTypeOf<Price[]>()
        expectTypeOf(price).toEqualTypeOf<Price>()
        return [...list, price]
      },
    })
    expectTypeOf(data).toEqualTypeOf<Price[]>()
    useLiveData<Price[], Price>('feed', {
      reduce: (list, price) => {
        expectTypeOf(list).toEqualTypeOf<Price[] | undefined>()
        return [...(list ?? []), price]
      },
    })
    useLiveData<number[], number>('n', {
      initialData: [],
      // @ts-expect-error reduce must return number[]
      reduce: (_list, n) => n,
    })
  })

  it('a schema infers the data type', () => {
    expectTypeOf(useLiveData('prices', { schema: PriceSchema }).data).toEqualTypeOf<
      Price | undefined
    >()
    expectTypeOf(
      useLiveData('prices', { schema: PriceSchema, initialData: null }).data,
    ).toEqualTypeOf<Price | null>()
    expectTypeOf(
      useLiveData('count', { schema: (value: unknown) => Number(value) }).data,
    ).toEqualTypeOf<number | undefined>()
  })

  it('send is typed by Send and resolves with Ack', () => {
    const { send } = useLiveData<Price[], Price, Draft, { id: string }>('chat', {
      initialData: [],
    })
    expectTypeOf(send).parameter(0).toEqualTypeOf<Draft>()
    expectTypeOf(send({ text: 'hi' }, { event: 'say' })).toEqualTypeOf<Promise<{ id: string }>>()
    // @ts-expect-error a typo in the payload
    send({ txt: 'hi' })
    const untyped = useLiveData('prices').send
    expectTypeOf(untyped(1)).toEqualTypeOf<Promise<unknown>>()
  })

  it('useLiveClient returns the client', () => {
    const client = createLiveClient({ url: '/live' })
    expectTypeOf(useLiveClient()).toEqualTypeOf(client)
  })

  it('useSuspenseLiveData: data is T, never undefined, whatever the options', () => {
    const result = useSuspenseLiveData<Price>('prices')
    expectTypeOf(result).toEqualTypeOf<LiveDataResult<Price>>()
    expectTypeOf(result.data).toEqualTypeOf<Price>()
    expectTypeOf(result.status).toEqualTypeOf<LiveStatus>()
    expectTypeOf(result.error).toEqualTypeOf<LiveDataError | null>()
    expectTypeOf(useSuspenseLiveData('prices', { schema: PriceSchema }).data).toEqualTypeOf<Price>()
    expectTypeOf(useSuspenseLiveData('prices', { initialData: [] as Price[] }).data).toEqualTypeOf<
      Price[]
    >()
    expectTypeOf(
      useSuspenseLiveData('prices', { schema: PriceSchema, initialData: null }).data,
    ).toEqualTypeOf<Price | null>()
    // Asked for `T | undefined`, it still never gives `undefined`: it suspends instead.
    expectTypeOf(useSuspenseLiveData<Price | undefined>('prices').data).toEqualTypeOf<Price>()
  })

  it('useSuspenseLiveData: reduce folds M into T, send is typed by Send and Ack', () => {
    const { data, send } = useSuspenseLiveData<Price[], Price, Draft, { id: string }>('feed', {
      reduce: (list, price) => {
        // Before the first message there is nothing yet: `previous` may be undefined.
        expectTypeOf(list).toEqualTypeOf<Price[] | undefined>()
        return [...(list ?? []), price]
      },
    })
    expectTypeOf(data).toEqualTypeOf<Price[]>()
    expectTypeOf(send).parameter(0).toEqualTypeOf<Draft>()
    expectTypeOf(send({ text: 'hi' })).toEqualTypeOf<Promise<{ id: string }>>()
    // @ts-expect-error a typo in the payload
    send({ txt: 'hi' })
    useSuspenseLiveData<number[], number>('n', {
      initialData: [],
      // @ts-expect-error reduce must return number[]
      reduce: (_list, n) => n,
    })
  })
})
