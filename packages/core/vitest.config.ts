import { defineProject } from 'vitest/config'

export default defineProject({
  // The default build's flag (see src/build-flags.d.ts); test/production-build.test.ts reads the other.
  define: { __DEV__: 'true' },
  test: {
    name: 'core',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
})
