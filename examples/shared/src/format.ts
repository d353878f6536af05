// How every demo shows a quote: the same numbers, classes and sparkline in each framework.

export const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' })

export const signed = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  signDisplay: 'exceptZero',
})

export const clock = new Intl.DateTimeFormat('en-US', {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
})

/** Which way a quote has moved since the open: the class of its change cells and sparkline. */
export type Trend = 'up' | 'down' | 'flat'

export function trendOf(change: number): Trend {
  return change > 0 ? 'up' : change < 0 ? 'down' : 'flat'
}

/** The size of a row's sparkline, in pixels. */
export const SPARKLINE_WIDTH = 120
export const SPARKLINE_HEIGHT = 28

/** The sparkline's polyline `points` for recent prices, or null with fewer than two. */
export function sparklinePoints(values: readonly number[]): string | null {
  if (values.length < 2) return null
  const min = Math.min(...values)
  const max = Math.max(...values)
  const span = max - min || 1
  const step = SPARKLINE_WIDTH / (values.length - 1)
  return values
    .map((value, i) => {
      const y = SPARKLINE_HEIGHT - 2 - ((value - min) / span) * (SPARKLINE_HEIGHT - 4)
      return `${(i * step).toFixed(1)},${y.toFixed(1)}`
    })
    .join(' ')
}
