import type { ChannelSnapshot } from '@livedata/server'
import { describe, expectTypeOf, it } from 'vitest'
import {
  createLiveClient,
  type LiveDataErrorCode,
  type LiveSource,
  type LoadContext,
  type LoadedState,
} from '../src/index'

interface Order {
  id: number
}

const client = createLiveClient({ url: 'http://localhost:3000/live' })

describe('load types', () => {
  it("load is given a signal and resolves the source's data type with a cursor", () => {
    const orders = client.source<Order[], Order>('orders', {
      initialData: [],
      reduce: (list, order) => [...list, order],
      load: async (context) => {
        expectTypeOf(context).toEqualTypeOf<LoadContext>()
        expectTypeOf(context.signal).toEqualTypeOf<AbortSignal>()
        return { data: [{ id: 1 }], cursor: '1700000000000-0' }
      },
    })
    expectTypeOf(orders).toEqualTypeOf<LiveSource<Order[]>>()
  })

  it('refuses a state of another type, or no cursor', () => {
    client.source<Order[], Order>('orders', {
      initialData: [],
      // @ts-expect-error: the state is Order[], not a string
      load: async () => ({ data: 'no', cursor: '1-0' }),
    })
    client.source<Order[], Order>('orders', {
      initialData: [],
      // @ts-expect-error: a cursor is required
      load: async () => ({ data: [] }),
    })
  })

  it("takes the server's live.snapshot answer as it is", () => {
    expectTypeOf<ChannelSnapshot<Order[]>>().toExtend<LoadedState<Order[]>>()
    expectTypeOf<'ERR_LOAD'>().toExtend<LiveDataErrorCode>()
  })
})
