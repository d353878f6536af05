// @vitest-environment node
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'tsup'
import { afterAll, describe, expect, it } from 'vitest'

const outDir = await mkdtemp(join(tmpdir(), 'livedata-react-build-'))

afterAll(() => rm(outDir, { recursive: true, force: true }))

describe('the build', () => {
  it("keeps 'use client' at the top of the ESM and CJS output", async () => {
    await build({
      config: false,
      entry: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
      format: ['esm', 'cjs'],
      outDir,
      target: 'es2022',
      external: ['react', '@livedata/core'],
      silent: true,
    })
    for (const file of ['index.js', 'index.cjs']) {
      const code = await readFile(join(outDir, file), 'utf8')
      // A directive counts only in the prologue: before any other statement.
      const prologue = code
        .split('\n')
        .filter((line) => line.trim() !== '')
        .slice(0, 2)
      expect(prologue, file).toContain('"use client";')
    }
  })
})
