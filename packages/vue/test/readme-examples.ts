// The README's examples, checked by `pnpm typecheck` (tsc) and never run: keep them in step.
// ../src/index stands for @livedata/vue; `props` for what defineProps returns.
import { createLiveClient, type StandardSchemaLike } from '@livedata/core'
import { createApp, type defineComponent, type Ref } from 'vue'
import { createLiveData, type SourceOptions, useLiveClient, useLiveData } from '../src/index'

interface Quote {
  symbol: string
  price: number
}
interface Line {
  from: string
  text: string
}

declare const QuoteSchema: StandardSchemaLike<Quote>
declare const App: ReturnType<typeof defineComponent>

// main.ts
const client = createLiveClient({ url: '/live' })
createApp(App).use(createLiveData(client)).mount('#app')

export function setup(props: { symbol: string }) {
  const { data, status, error, send } = useLiveData<Quote>(() => `quotes.${props.symbol}`, {
    initialData: { symbol: props.symbol, price: 0 },
  })
  const shown: string = `${status.value} ${data.value.symbol} ${data.value.price} ${error.value?.code}`
  void send({ type: 'buy', symbol: props.symbol })

  // ## Types
  const quote: Readonly<Ref<Quote | undefined>> = useLiveData('quote', { schema: QuoteSchema }).data
  const reduce = (lines: Line[], line: Line) => [...lines, line]
  const options = { initialData: [], reduce } satisfies SourceOptions<Line[], Line>
  const lines: Readonly<Ref<Line[]>> = useLiveData('chat', options).data
  useLiveClient().reconnect()
  return { shown, quote, lines }
}

// ## Suspense: Price.vue's <script setup>
export async function suspendedSetup() {
  const { data, status } = await useLiveData<Quote>('prices')
  const shown: string = `${status.value} ${data.value.symbol} ${data.value.price}`
  return { shown }
}
