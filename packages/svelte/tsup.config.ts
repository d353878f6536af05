import { defineConfig } from 'tsup'

export default defineConfig({
  // `runes` is the Svelte 5 form (@livedata/svelte/runes): plain TypeScript on Svelte's public
  // createSubscriber, so it compiles like the rest, with no Svelte compiler.
  entry: ['src/index.ts', 'src/runes.ts'],
  format: ['esm', 'cjs'],
  // Both entries share one chunk for the context: setLiveClient from either entry is seen by
  // liveData from the other (two copies would hold two context keys).
  splitting: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
})
