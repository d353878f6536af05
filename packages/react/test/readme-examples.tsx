// The README's examples, checked by `pnpm typecheck` (tsc) and never run: keep them in step. ../src/index stands for @livedata/react.
import { createLiveClient, type StandardSchemaLike } from '@livedata/core'
import { type ReactNode, Suspense } from 'react'
import {
  isLiveDataError,
  LiveDataProvider,
  type SourceOptions,
  useLiveClient,
  useLiveData,
  useSuspenseLiveData,
} from '../src/index'

declare function logIn(): Promise<void>
/** react-error-boundary's, reduced to what the README uses. */
declare function ErrorBoundary(props: {
  fallback: ReactNode
  onReset?: () => void
  children: ReactNode
}): ReactNode

interface Quote {
  symbol: string
  price: number
}

interface Price {
  symbol: string
  price: number
}

declare const PriceSchema: StandardSchemaLike<Price>

// ## Use

const client = createLiveClient({ url: '/live' })

function Prices() {
  const { data, status, error } = useLiveData<Price[]>('prices', { initialData: [] })
  if (error)
    return (
      <p role="alert">
        {status}: {error.message}
      </p>
    )
  return (
    <ul>
      {data.map((p) => (
        <li key={p.symbol}>
          {p.symbol} {p.price}
        </li>
      ))}
    </ul>
  )
}

export function App() {
  return (
    <LiveDataProvider client={client}>
      <Prices />
    </LiveDataProvider>
  )
}

// ## Sending

interface Line {
  from: string
  text: string
}
interface Draft {
  text: string
}

export function Chat() {
  const { data, send } = useLiveData<Line[], Line, Draft>('chat', {
    initialData: [],
    reduce: (lines, line) => [...lines, line].slice(-100),
    replay: 50,
  })
  const say = (text: string) =>
    send({ text }).catch((error: unknown) => {
      if (isLiveDataError(error, 'ERR_SEND_TIMEOUT')) console.warn('not delivered', error)
    })
  return (
    <>
      {data.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: as in the README
        <p key={i}>
          {line.from}: {line.text}
        </p>
      ))}
      <button type="button" onClick={() => void say('hi')}>
        say hi
      </button>
    </>
  )
}

// ## Errors

export function Refused() {
  const client = useLiveClient()
  const { status, error } = useLiveData('orders')
  if (status !== 'closed' || error?.serverCode !== 'ERR_FORBIDDEN') return null
  return (
    <button type="button" onClick={() => logIn().then(() => client.reconnect())}>
      Log in again
    </button>
  )
}

// ## Suspense

function Price() {
  const { data } = useSuspenseLiveData<Quote>('price') // a Quote, never undefined
  return (
    <p>
      {data.symbol} {data.price}
    </p>
  )
}

export function Page() {
  return (
    <ErrorBoundary fallback={<p>Not for you</p>}>
      <Suspense fallback={<p>Loading…</p>}>
        <Price />
      </Suspense>
    </ErrorBoundary>
  )
}

// ## Types

export function Types() {
  const prices: Price[] = useLiveData<Price[]>('prices', { initialData: [] }).data
  const price: Price | undefined = useLiveData<Price>('price').data
  const checked: Price | undefined = useLiveData('price', { schema: PriceSchema }).data
  const send: (data: Draft) => Promise<{ id: string }> = useLiveData<
    Line[],
    Line,
    Draft,
    { id: string }
  >('chat', { initialData: [] }).send
  const reduce = (lines: Line[], line: Line) => [...lines, line]
  const options = { initialData: [], reduce } satisfies SourceOptions<Line[], Line>
  const lines: Line[] = useLiveData('chat', options).data
  const suspended: Price = useSuspenseLiveData<Price>('price').data
  return [prices, price, checked, send, lines, suspended]
}
