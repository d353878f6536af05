import { createLiveClient } from '@livedata/core'
import { describe, expectTypeOf, it } from 'vitest'
import { createApp, type Plugin, type Ref, ref } from 'vue'
import {
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

describe('public types', () => {
  it('carries the data type into one readonly ref per snapshot field', () => {
    const result = useLiveData<Price>('prices')
    expectTypeOf(result).toEqualTypeOf<LiveDataResult<Price>>()
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

  it('reduce folds messages of type M into data of type T', () => {
    const { data } = useLiveData<Price[], Price>('feed', {
      initialData: [],
      reduce: (list, price) => {
        expectTypeOf(list).toEqualTypeOf<Price[] | undefined>()
        expectTypeOf(price).toEqualTypeOf<Price>()
        return [...(list ?? []), price]
      },
    })
    expectTypeOf(data.value).toEqualTypeOf<Price[] | undefined>()
    useLiveData<number[], number>('n', {
      // @ts-expect-error reduce must return number[]
      reduce: (_list, n) => n,
    })
  })

  it('send returns a promise', () => {
    const { send } = useLiveData('prices')
    expectTypeOf(send({ type: 'ping' }, { event: 'ping' })).toEqualTypeOf<Promise<unknown>>()
  })

  it('the plugin goes to app.use and the client comes back from useLiveClient', () => {
    const client = createLiveClient({ url: '/live' })
    expectTypeOf(createLiveData(client)).toEqualTypeOf<Plugin>()
    createApp({}).use(createLiveData(client))
    expectTypeOf(useLiveClient()).toEqualTypeOf(client)
  })
})
