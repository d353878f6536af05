import type { PriceTable, Quote } from '@livedata/example-shared/board'

// The wire format lives with the apps that read it, in @livedata/example-shared.
export type { PriceTable, Quote }

const OPENING_PRICES: ReadonlyArray<readonly [string, number]> = [
  ['AAPL', 227.52],
  ['MSFT', 421.3],
  ['NVDA', 138.91],
  ['AMZN', 198.74],
  ['GOOG', 172.4],
  ['TSLA', 251.18],
]

const cents = (value: number): number => Math.round(value * 100) / 100

/**
 * A simulated market: each tick, most symbols take a small random step (a random walk relative
 * to the price), the rest stay put, so the table moves without flickering all at once.
 *
 * @example
 * ```ts
 * const ticker = createTicker()
 * setInterval(() => live.publish('prices', ticker.next()), 250)
 * ```
 */
export function createTicker(random: () => number = Math.random): { next(): PriceTable } {
  const symbols = OPENING_PRICES.map(([symbol, open]) => ({ symbol, open, price: open }))
  return {
    next() {
      for (const symbol of symbols) {
        if (random() < 0.4) continue
        symbol.price = Math.max(1, symbol.price * (1 + (random() - 0.5) * 0.004))
      }
      return {
        time: Date.now(),
        quotes: symbols.map(({ symbol, open, price }) => ({
          symbol,
          price: cents(price),
          change: cents(price - open),
          changePercent: cents((price / open - 1) * 100),
        })),
      }
    },
  }
}
