'use client'
import { useLiveData } from '@livedata/react'
import type { PriceTable } from '../lib/ticker'

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' })

/** The ticker's prices, live, with the connection's status and the transport it rides. */
export function Prices() {
  const { data, status, transport, error } = useLiveData<PriceTable>('prices')
  return (
    <section>
      <p>
        <span data-testid="status">{status}</span> over{' '}
        <span data-testid="transport">{transport ?? '—'}</span>
      </p>
      {error && <p role="alert">{error.message}</p>}
      {data === undefined ? (
        <p>Waiting for the first prices…</p>
      ) : (
        <table>
          <tbody>
            {data.quotes.map((quote) => (
              <tr key={quote.symbol}>
                <th scope="row">{quote.symbol}</th>
                <td data-testid={`price-${quote.symbol}`}>{usd.format(quote.price)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
