import { createLiveClient, type StandardSchemaLike } from '@livedata/core'
import { describe, expectTypeOf, it } from 'vitest'
import { createApp, type Plugin, type Ref, ref } from 'vue'
import {
  type AwaitableLiveDataResult,
  createLiveData,
  type LiveDataError,
  type LiveDataResult,
  type LiveStatus,
  type TransportName,
  useLiveClient,
  useLiveData,
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
  it('carries the data type into one readonly ref per snapshot field; T | undefined without initialData', () => {
    const result = useLiveData<Price>('prices')
    expectTypeOf(result).toEqualTypeOf<AwaitableLiveDataResult<Price | undefined>>()
    expectTypeOf(result).toExtend<LiveDataResult<Price | undefined>>()
    expectTypeOf(result.data).toEqualTypeOf<Readonly<Ref<Price | undefined>>>()
    expectTypeOf(result.status.value).toEqualTypeOf<LiveStatus>()
    expectTypeOf(result.error.value).toEqualTypeOf<LiveDataError | null>()
    expectTypeOf(result.transport.value).toEqualTypeOf<TransportName | null>()
    expectTypeOf(result.lastEventId.value).toEqualTypeOf<string | null>()
    expectTypeOf(result.attempt.value).toEqualTypeOf<number>()
    expectTypeOf(result.gap.value).toEqualTypeOf<boolean>()
  })

  it('does not let the refs be written', () => {
    const { status, data } = useLiveData<Price>('prices')
    // @ts-expect-error the refs are readonly
    status.value = 'open'
    // @ts-expect-error the refs are readonly
    data.value = { symbol: 'AAPL', price: 1 }
  })

  it('accepts a string, a ref or a getter as the channel, nothing else', () => {
    const symbol = ref('AAPL')
    useLiveData<Price>(symbol)
    useLiveData<Price>(() => `quotes.${symbol.value}`)
    // @ts-expect-error a channel is a string
    useLiveData<Price>(42)
    // @ts-expect-error a channel is a string
    useLiveData<Price>(ref(42))
  })

  it('with initialData, data is T, inferred or given', () => {
    expectTypeOf(useLiveData('prices', { initialData: [] as Price[] }).data).toEqualTypeOf<
      Readonly<Ref<Price[]>>
    >()
    expectTypeOf(
      useLiveData<Price[]>(() => 'prices', { initialData: [] }).data.value,
    ).toEqualTypeOf<Price[]>()
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
    expectTypeOf(data.value).toEqualTypeOf<Price[]>()
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
    expectTypeOf(useLiveData('prices', { schema: PriceSchema }).data.value).toEqualTypeOf<
      Price | undefined
    >()
    expectTypeOf(
      useLiveData('prices', { schema: PriceSchema, initialData: null }).data.value,
    ).toEqualTypeOf<Price | null>()
    expectTypeOf(
      useLiveData('count', { schema: (value: unknown) => Number(value) }).data.value,
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
    expectTypeOf(useLiveData('prices').send({ type: 'ping' })).toEqualTypeOf<Promise<unknown>>()
  })

  it('the plugin goes to app.use and the client comes back from useLiveClient', () => {
    const client = createLiveClient({ url: '/live' })
    expectTypeOf(createLiveData(client)).toEqualTypeOf<Plugin>()
    createApp({}).use(createLiveData(client))
    expectTypeOf(useLiveClient()).toEqualTypeOf(client)
  })

  it('awaited, it gives the same refs with data never undefined, and no thenable', async () => {
    const awaited = await useLiveData<Price>('prices')
    expectTypeOf(awaited).toEqualTypeOf<LiveDataResult<Price>>()
    expectTypeOf(awaited.data).toEqualTypeOf<Readonly<Ref<Price>>>()
    expectTypeOf(awaited).not.toHaveProperty('then')
    const { data } = await useLiveData('prices', { schema: PriceSchema })
    expectTypeOf(data.value).toEqualTypeOf<Price>()
    // initialData null is data: awaited, it stays in the type.
    expectTypeOf(
      (await useLiveData('prices', { schema: PriceSchema, initialData: null })).data.value,
    ).toEqualTypeOf<Price | null>()
    const { send } = await useLiveData<Price[], Price, Draft, { id: string }>('chat')
    expectTypeOf(send({ text: 'hi' })).toEqualTypeOf<Promise<{ id: string }>>()
  })
})
