import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/node-process.ts', 'src/proxy.ts', 'src/node.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  sourcemap: true,
})
