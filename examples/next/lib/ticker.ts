/** One symbol's price in a {@link PriceTable}. */
export interface Quote {
  symbol: string
  price: number
}

/** What the `prices` channel carries: every symbol's price at `time` (ms since the epoch). */
export interface PriceTable {
  time: number
  quotes: Quote[]
}

const START: Readonly<Record<string, number>> = { AAPL: 191.2, MSFT: 412.5, NVDA: 118.3 }

/**
 * A random walk over a few symbols: each `next()` moves every price by up to ±0.5 %, rounded
 * to cents, and returns the new table.
 *
 * @example
 * ```ts
 * const ticker = createTicker()
 * setInterval(() => live.publish('prices', ticker.next()), 500)
 * ```
 */
export function createTicker(): { next(): PriceTable } {
  const prices = new Map(Object.entries(START))
  return {
    next() {
      const quotes: Quote[] = []
      for (const [symbol, price] of prices) {
        const moved = Math.max(1, Math.round(price * (1 + (Math.random() - 0.5) / 100) * 100) / 100)
        prices.set(symbol, moved)
        quotes.push({ symbol, price: moved })
      }
      return { time: Date.now(), quotes }
    },
  }
}
