import type { ServerTransport } from '@livedata/server'
import { afterAll, afterEach, beforeAll, describe } from 'vitest'
import { type ConformanceTarget, createContext } from './context'
import { describeFlowControl } from './flow-checks'
import { describeHttpRules } from './http-checks'
import { describeSends } from './send-checks'
import { describeStreams } from './stream-checks'
import { describeTransport } from './transport-checks'

export type { ConformanceTarget } from './context'
export { CONFORMANCE_RULES } from './fixture'

/** Options of {@link describeServerConformance}. */
export interface ServerConformanceOptions {
  /**
   * The transports the target offers (and its fixture was created with): each is checked;
   * WebSocket sends are checked when `'websocket'` is among them.
   */
  transports: readonly ServerTransport[]
  /** How long `start()` may take, in ms. Default 30 000 (a child process, a framework's boot). */
  startTimeout?: number
  /**
   * Runs once every check of the suite ran, before the target closes: for what the whole suite
   * must have done to the target (e.g. that its requests went through the framework's
   * middleware). A throw fails the suite.
   */
  after?: () => void | Promise<void>
}

/**
 * Registers the server conformance suite: vitest tests that judge a running @livedata/server
 * over real HTTP (and `ws`) against docs/protocol.md, with no client library in between. The
 * target serves `createConformanceFixture(createLiveServer, { transports })` from
 * `@livedata/server-conformance/fixture`: its live server at `/live` and its `control` at
 * `/control/*`, by any integration, in any runtime. Call it at the top level of a test file.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createLiveServer } from '@livedata/server'
 * import { describeServerConformance } from '@livedata/server-conformance'
 * import { createConformanceFixture } from '@livedata/server-conformance/fixture'
 *
 * describeServerConformance('node:http', async () => {
 *   const { live, control } = createConformanceFixture(createLiveServer)
 *   const server = createServer(...) // /control/* to control(), the rest as usual
 *   live.attach(server)
 *   ...
 *   return { url: `http://127.0.0.1:${port}`, close: () => ... }
 * }, { transports: ['websocket', 'sse', 'long-polling', 'polling', 'iframe'] })
 * ```
 */
export function describeServerConformance(
  name: string,
  start: () => Promise<ConformanceTarget>,
  options: ServerConformanceOptions,
): void {
  const context = createContext(options.transports)
  let target: ConformanceTarget | null = null
  describe(`server conformance: ${name}`, () => {
    beforeAll(async () => {
      target = await start()
      context.setTarget(target)
    }, options.startTimeout ?? 30_000)
    afterEach(() => context.cutAll())
    afterAll(async () => {
      context.cutAll()
      try {
        await options.after?.()
      } finally {
        await target?.close()
      }
    })
    for (const transport of options.transports) describeTransport(context, transport)
    describeSends(context)
    describeStreams(context)
    describeFlowControl(context)
    describeHttpRules(context)
  })
}
