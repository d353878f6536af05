import { defineProject } from 'vitest/config'

export default defineProject({
  // The default (development) build's flag (see src/build-flags.d.ts); test/inspect.test.ts reads
  // the built production one from dist/production.
  define: { __DEV__: 'true' },
  test: {
    name: 'core',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
})
