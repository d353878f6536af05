// The page of the streaming SSR test. The server side imports it in a module graph of its own
// (vi.resetModules), as a server process would: React in one realm marks a context rendered by
// the server renderer, and warns when the browser renderer provides the same one afterwards.
import type { LiveClient } from '@livedata/core'
import { type ReactNode, Suspense } from 'react'
import { LiveDataProvider, useSuspenseLiveData } from '../src/index'

export interface Quote {
  symbol: string
  price: number
}

export const initialData: Quote = { symbol: 'AAPL', price: 0 }

export function WithInitial() {
  const { data } = useSuspenseLiveData<Quote>('prices', { initialData })
  return (
    <p id="price">
      {data.symbol} {data.price}
    </p>
  )
}

export function WithoutInitial() {
  const { data } = useSuspenseLiveData<Quote>('prices')
  return (
    <p id="price">
      {data.symbol} {data.price}
    </p>
  )
}

export function App({ client, children }: { client: LiveClient; children: ReactNode }) {
  return (
    <LiveDataProvider client={client}>
      <main>
        <Suspense fallback={<p id="fallback">loading</p>}>{children}</Suspense>
      </main>
    </LiveDataProvider>
  )
}
