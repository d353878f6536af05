/**
 * Which of the client's server URLs (`url: [a, b, …]`) every connect uses now. Shared by the
 * client's sources, so that they move together and keep riding one connection.
 */
export interface Failover {
  /** The index of the URL in use. */
  at: number
  /**
   * A whole fallback round failed on URL `index`: every later connect uses the next one (after
   * the last, the first). A round on a URL another source already left moves nothing, so that
   * sources failing together move once.
   */
  leave(index: number): void
}

/**
 * The failover over `count` URLs, starting on the first.
 *
 * @example
 * ```ts
 * const failover = createFailover(2)
 * failover.leave(0) // failover.at === 1
 * failover.leave(0) // still 1: a source that failed on the first URL late moves nothing
 * ```
 */
export function createFailover(count: number): Failover {
  const failover: Failover = {
    at: 0,
    leave(index) {
      if (index === failover.at) failover.at = (index + 1) % count
    },
  }
  return failover
}
