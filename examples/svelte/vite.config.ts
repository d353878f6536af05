import { fileURLToPath } from 'node:url'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'vite'

export default defineConfig({
  // The demo server serves this app at /svelte/ (examples/server/src/server.ts, DEMO_APPS).
  base: '/svelte/',
  plugins: [svelte()],
  resolve: {
    alias: [
      // The Inspector switch (examples/shared/src/inspector.ts) needs client.inspect(), which the
      // core's `production` build leaves out; `vite build` resolves that export condition. The
      // demo takes the core's default (inspectable) build instead, for every importer.
      {
        find: /^@livedata\/core$/,
        replacement: fileURLToPath(new URL('../../packages/core/dist/index.js', import.meta.url)),
      },
    ],
  },
  server: {
    proxy: {
      // `pnpm dev` serves the app with hot reload; live data comes from the demo server on :3000.
      // The Host header is kept, so the live server's same-origin check accepts the page's POSTs.
      '/live': { target: 'http://localhost:3000', changeOrigin: false, ws: true },
      // The socket.io transport mode (examples/shared/src/settings.ts) meets the demo's socket.io.
      '/socket.io': { target: 'http://localhost:3000', ws: true },
    },
  },
  build: { sourcemap: true },
})
