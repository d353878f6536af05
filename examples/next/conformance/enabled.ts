/**
 * Whether this `next start` serves the server conformance fixture (`LIVEDATA_CONFORMANCE=1` in
 * its environment, read at request time): then `/live` and `/control/*` are the fixture's, for
 * examples/next/test/conformance.test.ts, and the demo's page has no live server. Off in any
 * other process, where `/conformance/*` is a 404 and the demo is as it was: one build serves
 * both.
 */
export function conformanceEnabled(): boolean {
  return process.env.LIVEDATA_CONFORMANCE === '1'
}

/** Where the proxy sends `/live` and `/control/*` when the fixture is on. */
export const CONFORMANCE_PREFIX = '/conformance'
