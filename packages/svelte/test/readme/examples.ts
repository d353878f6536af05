// The README's examples outside components, checked by `pnpm typecheck` and never run; ../../src/index stands for @livedata/svelte.
import { createLiveClient, type StandardSchemaLike } from '@livedata/core'
import { get } from 'svelte/store'
import { liveData, type SourceOptions } from '../../src/index'

export declare function logIn(): Promise<void>

interface Price {
  symbol: string
  price: number
}
interface Line {
  from: string
  text: string
}

declare const PriceSchema: StandardSchemaLike<Price>
const client = createLiveClient({ url: '/live' })

export const prices = liveData<Price[]>('prices', { initialData: [] }, client)
export const price: Price | undefined = get(liveData('price', { schema: PriceSchema }, client)).data

const reduce = (lines: Line[], line: Line) => [...lines, line]
const options = { initialData: [], reduce } satisfies SourceOptions<Line[], Line>
export const lines: Line[] = get(liveData('chat', options, client)).data
