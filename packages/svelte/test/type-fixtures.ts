import { createLiveClient, type StandardSchemaLike } from '@livedata/core'
import type { Quote } from './quote'

/** What the type tests' channels carry. */
export type Price = Quote

/** What the type tests send. */
export interface Draft {
  text: string
}

/** A Standard Schema as zod or valibot export one, reduced to its type. */
export declare const PriceSchema: StandardSchemaLike<Price>

/** A client to pass as `liveData`'s third argument (the type tests only compile it). */
export const client = createLiveClient({ url: '/live' })
