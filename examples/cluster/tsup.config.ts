import { defineConfig } from 'tsup'

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/node-process.ts',
    'src/ticker-process.ts',
    'src/proxy.ts',
    'src/node.ts',
  ],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  sourcemap: true,
})
