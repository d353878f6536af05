import { defineConfig, type Options } from 'tsup'

const common: Options = {
  entry: ['src/index.ts', 'src/base.ts'],
  format: ['esm', 'cjs'],
  sourcemap: true,
  target: 'es2022',
}

// Two builds of the same sources (docs/decisions/inspector.md): the default one, which can
// inspect (`client.inspect()`), and the one package.json serves under the `production` condition,
// where `__DEV__` is false: every report site and the options warning are left out.
export default defineConfig([
  { ...common, dts: true, define: { __DEV__: 'true' } },
  // minifySyntax folds the dead `if (false)` branches, so what only they used is left out too.
  { ...common, outDir: 'dist/production', define: { __DEV__: 'false' }, minifySyntax: true },
])
