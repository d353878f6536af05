/** Counts arrivals and wakes whoever waits for a number of them. */
export function counter() {
  let count = 0
  let waiter: { target: number; resolve: () => void } | null = null
  return {
    add(arrived = 1) {
      count += arrived
      if (waiter && count >= waiter.target) {
        waiter.resolve()
        waiter = null
      }
    },
    until(target: number): Promise<void> {
      if (count >= target) return Promise.resolve()
      return new Promise((resolve) => {
        waiter = { target, resolve }
      })
    },
  }
}
