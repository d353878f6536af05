import { svelte } from '@sveltejs/vite-plugin-svelte'
import { svelteTesting } from '@testing-library/svelte/vite'
import { defineProject } from 'vitest/config'

export default defineProject({
  // The testing library's plugin would put `browser` first for every test file, the server
  // rendering one included; it is added below for the DOM tests only.
  plugins: [svelte(), svelteTesting({ resolveBrowser: false })],
  // jsdom tests run in Vite's `client` environment, `@vitest-environment node` ones in `ssr`:
  // Svelte's browser runtime for the first, its server runtime for the second.
  environments: {
    client: { resolve: { conditions: ['browser', 'development|production'] } },
  },
  test: {
    name: 'svelte',
    environment: 'jsdom',
    include: ['test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
    server: {
      deps: {
        // The live server the tests start is Node code: Node loads it, with Node's conditions
        // (under `browser`, its `ws` dependency would resolve to a stub that throws).
        external: [/\/packages\/server\/dist\//],
      },
    },
  },
})
