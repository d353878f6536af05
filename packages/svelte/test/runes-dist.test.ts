// @vitest-environment node
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The package's root: Node resolves `@livedata/svelte/runes` there through package.json
// "exports" (a package may import itself by name), as a consumer's would, from dist.
const root = fileURLToPath(new URL('..', import.meta.url))

/** Runs `code` in a plain Node process (no Vite, no Svelte compiler) and parses what it prints. */
function runNode(code: string, type: 'module' | 'commonjs'): unknown {
  const out = execFileSync(process.execPath, [`--input-type=${type}`, '-e', code], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return JSON.parse(out)
}

// What each form prints: the runes object read outside any component, and whether both entries
// share one setLiveClient (one context key).
const probe = `
  const client = createLiveClient({ url: 'http://127.0.0.1:9/live', fetch: async () => { throw new Error('no fetch') } })
  const quote = runes.liveData('quote', { initialData: 191.2 }, client)
  console.log(JSON.stringify({
    data: quote.data,
    status: quote.status,
    send: typeof quote.send,
    oneContext: runes.setLiveClient === main.setLiveClient,
  }))
`
const expected = { data: 191.2, status: 'connecting', send: 'function', oneContext: true }

describe('the published runes entry', () => {
  it('is compiled JavaScript that plain Node imports from dist', () => {
    const printed = runNode(
      `import { createLiveClient } from '@livedata/core'
       import * as runes from '@livedata/svelte/runes'
       import * as main from '@livedata/svelte'
       ${probe}`,
      'module',
    )
    expect(printed).toEqual(expected)
  })

  it('is required from CommonJS too', () => {
    const printed = runNode(
      `const { createLiveClient } = require('@livedata/core')
       const runes = require('@livedata/svelte/runes')
       const main = require('@livedata/svelte')
       ${probe}`,
      'commonjs',
    )
    expect(printed).toEqual(expected)
  })

  it('ships no rune and no Svelte source for the consumer to compile', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'))
    expect(pkg.exports['./runes']).toEqual({
      import: { types: './dist/runes.d.ts', default: './dist/runes.js' },
      require: { types: './dist/runes.d.cts', default: './dist/runes.cjs' },
    })
    const dist = readdirSync(`${root}dist`)
    expect(dist.filter((file) => /\.svelte(\.|$)/.test(file))).toEqual([])
    for (const file of ['runes.js', 'runes.cjs']) {
      const code = readFileSync(`${root}dist/${file}`, 'utf8')
      // Runes are compiler syntax, and svelte/internal is the compiler's unversioned runtime.
      expect(code).not.toMatch(/\$(state|derived|effect|props)\b/)
      expect(code).not.toContain('svelte/internal')
      const imports = [...code.matchAll(/(?:from |require\()['"]([^'"]+)['"]/g)].map((m) => m[1])
      expect(new Set(imports.map((m) => (m?.startsWith('./chunk-') ? './chunk' : m)))).toEqual(
        new Set(['./chunk', '@livedata/core', 'svelte/reactivity']),
      )
    }
  })
})
