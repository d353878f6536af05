/**
 * `promise`, or a rejection if it takes longer than `ms`: a measurement that hangs is reported,
 * not waited for.
 *
 * @example
 * ```ts
 * await within(clients.until(20_000), 60_000, 'websocket burst')
 * ```
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}
