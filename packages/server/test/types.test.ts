import { describe, expectTypeOf, it } from 'vitest'
import type { Backplane } from '../src/backplane'
import { bunHandlers } from '../src/bun'
import { denoHandler } from '../src/deno'
import {
  type BackplaneOptions,
  createLiveServer,
  type LiveServer,
  type LiveServerOptions,
} from '../src/index'
import { createSharedLog } from './shared-log'

// These are checked by `tsc` (pnpm typecheck): a wrong type fails the typecheck, not the run.
describe('the types of createLiveServer', () => {
  const backplane: Backplane = createSharedLog().node().backplane
  const maybe = undefined as Backplane | undefined

  it('gives string without a backplane and Promise<string> with one', async () => {
    const one = createLiveServer({ history: 10 })
    expectTypeOf(one.publish('x', 1)).toEqualTypeOf<string>()
    const options: LiveServerOptions & BackplaneOptions = { backplane, history: 10 }
    const many = createLiveServer(options)
    expectTypeOf(many.publish).returns.toEqualTypeOf<Promise<string>>()
    await Promise.all([one.close(), many.close()])
  })

  it('gives string | Promise<string> when the backplane may be absent', async () => {
    // E1: a backplane only where Redis is configured.
    const either = createLiveServer({ history: 10, backplane: maybe })
    expectTypeOf(either).toEqualTypeOf<LiveServer<string | Promise<string>>>()
    // E3: options built elsewhere; never typed string while it may be a Promise.
    const partial: LiveServerOptions & Partial<BackplaneOptions> = { backplane: maybe }
    const built = createLiveServer(partial)
    expectTypeOf(built.publish).returns.toEqualTypeOf<string | Promise<string>>()
    // @ts-expect-error: a Promise at run time when partial.backplane is set
    const id: string = built.publish('x', 1)
    void id
    await Promise.all([either.close(), built.close()])
  })

  it('takes a server with a backplane in the runtime adapters', async () => {
    // E2: bunHandlers and denoHandler take any server createLiveServer made.
    const clustered = createLiveServer({ backplane })
    expectTypeOf(bunHandlers).toBeCallableWith(clustered)
    expectTypeOf(denoHandler).toBeCallableWith(clustered)
    expectTypeOf(bunHandlers).toBeCallableWith(createLiveServer({ backplane: maybe }))
    expectTypeOf(bunHandlers).toBeCallableWith(createLiveServer())
    await clustered.close()
  })
})
