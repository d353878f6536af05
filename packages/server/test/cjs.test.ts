import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

// The built package, as an app that `require`s it loads it: run after `pnpm build`.
const require = createRequire(import.meta.url)

type Errors = { LiveServerError: new (code: string, message: string) => Error }

describe('the CommonJS build', () => {
  it('has one LiveServerError for every entry: instanceof holds across index and backplane', () => {
    const index = require('../dist/index.cjs') as Errors
    const backplane = require('../dist/backplane.cjs') as Errors
    expect(backplane.LiveServerError).toBe(index.LiveServerError)
    // What @livedata/redis throws (from /backplane) the server knows (from the index).
    expect(new backplane.LiveServerError('ERR_BACKPLANE', 'down')).toBeInstanceOf(
      index.LiveServerError,
    )
    expect(new index.LiveServerError('ERR_CLOSED', 'closed')).toBeInstanceOf(
      backplane.LiveServerError,
    )
    expect(new Error('other')).not.toBeInstanceOf(index.LiveServerError)
  })

  it('knows a LiveServerError of the ESM build too (an app that loads both)', async () => {
    const cjs = require('../dist/index.cjs') as Errors
    // A path tsc does not resolve: the test needs the build, the typecheck does not.
    const esmEntry = '../dist/backplane.js'
    const esm = (await import(esmEntry)) as Errors
    expect(new esm.LiveServerError('ERR_BACKPLANE', 'down')).toBeInstanceOf(cjs.LiveServerError)
    expect(new cjs.LiveServerError('ERR_BACKPLANE', 'down')).toBeInstanceOf(esm.LiveServerError)
  })
})
