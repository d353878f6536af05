import { defineConfig } from 'tsup'

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/node-process.ts',
    'src/worker-process.ts',
    'src/fan-out-server.ts',
    'src/fan-out-clients.ts',
  ],
  format: ['esm'],
  clean: true,
  target: 'es2022',
  // devDependencies (tsup would bundle them): esbuild runs its own binary, playwright-core its
  // own driver files, so they stay packages.
  external: ['esbuild', 'playwright-core'],
})
