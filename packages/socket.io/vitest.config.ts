import { svelte } from '@sveltejs/vite-plugin-svelte'
import { svelteTesting } from '@testing-library/svelte/vite'
import { defineProject } from 'vitest/config'

export default defineProject({
  // As in packages/svelte: the testing library's `browser` condition is added below, for the
  // DOM tests only.
  plugins: [svelte(), svelteTesting({ resolveBrowser: false })],
  // jsdom tests (the bindings) run in Vite's `client` environment, where Svelte needs its browser
  // runtime; the transport's own tests run in Node.
  environments: {
    client: { resolve: { conditions: ['browser', 'development|production'] } },
  },
  test: {
    name: 'socket.io',
    environment: 'node',
    include: ['test/**/*.test.{ts,tsx}'],
  },
})
