import { defineConfig } from 'vitest/config'

// One run over every package's project, so `pnpm test` prints one summary.
export default defineConfig({
  test: {
    projects: ['packages/*', 'examples/*', 'testing/integrations', 'testing/redis'],
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-results.json' }]]
      : ['default'],
  },
})
