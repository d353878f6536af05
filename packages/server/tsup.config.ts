import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/bun.ts', 'src/deno.ts', 'src/backplane.ts'],
  format: ['esm', 'cjs'],
  // One copy of each module for every entry, CommonJS too: LiveServerError is one class.
  splitting: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
})
