import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'integrations',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Targets in child processes (Bun, Deno, Next.js) boot before their suite runs.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
