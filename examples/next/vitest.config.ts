import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'example-next',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // `next start` starts, a real browser loads the page and waits for live prices.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
