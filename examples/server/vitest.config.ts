import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'example-server',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // A real browser starts, loads the app and waits for live prices.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
