import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // esbuild drops module-level directives when it bundles; the banner puts it back first.
  banner: { js: "'use client'" },
})
