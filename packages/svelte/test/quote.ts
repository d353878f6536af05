/** What the tests publish on `prices`. */
export interface Quote {
  symbol: string
  price: number
}
