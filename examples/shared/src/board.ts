import type { LiveMessage } from '@livedata/core'

/** One row of the price table, as the demo server publishes it. */
export interface Quote {
  symbol: string
  /** The last price, in dollars. */
  price: number
  /** The change since the session opened, in dollars. */
  change: number
  /** The change since the session opened, in percent. */
  changePercent: number
}

/** What the demo publishes on `prices`: the whole table, four times a second. */
export interface PriceTable {
  /** When the table was computed, in ms since the epoch. */
  time: number
  quotes: Quote[]
}

/** A row as the page shows it: the quote, which way it last moved, and its recent prices. */
export interface Row extends Quote {
  direction: 'up' | 'down' | null
  /** How many times the price moved; keys the cell, so each move replays its flash. */
  moves: number
  history: number[]
}

/** The data of the `prices` source. */
export interface Board {
  time: number | null
  rows: Row[]
  updates: number
}

export const EMPTY_BOARD: Board = { time: null, rows: [], updates: 0 }

const HISTORY = 48

/** Folds a table into the board: each message is a full table, compared with the last one. */
export function reduceBoard(previous: Board, table: PriceTable, _message: LiveMessage): Board {
  const before = new Map(previous.rows.map((row) => [row.symbol, row]))
  const rows = table.quotes.map((quote): Row => {
    const old = before.get(quote.symbol)
    if (!old) return { ...quote, direction: null, moves: 0, history: [quote.price] }
    const moved = quote.price !== old.price
    return {
      ...quote,
      direction: moved ? (quote.price > old.price ? 'up' : 'down') : old.direction,
      moves: old.moves + (moved ? 1 : 0),
      history: moved ? [...old.history, quote.price].slice(-HISTORY) : old.history,
    }
  })
  return { time: table.time, rows, updates: previous.updates + 1 }
}
