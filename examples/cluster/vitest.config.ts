import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'example-cluster',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Node processes start and stop, redis-server restarts, thousands of messages go through.
    testTimeout: 120_000,
    hookTimeout: 30_000,
  },
})
