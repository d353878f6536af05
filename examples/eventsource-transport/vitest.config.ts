import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'example-eventsource-transport',
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
})
