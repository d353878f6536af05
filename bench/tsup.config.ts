import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/node-process.ts', 'src/worker-process.ts'],
  format: ['esm'],
  clean: true,
  target: 'es2022',
})
