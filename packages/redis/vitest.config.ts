import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'redis',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Real redis-servers start, stop and restart; the tests wait for events up to 10–15 s, so a
    // test must be allowed longer than that (the default 5 s cut one short on a loaded machine).
    testTimeout: 30_000,
  },
})
