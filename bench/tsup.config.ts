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
  // A devDependency (tsup would bundle it): esbuild runs its own binary, so it stays a package.
  external: ['esbuild'],
})
