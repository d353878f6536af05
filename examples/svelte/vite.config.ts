import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'vite'

export default defineConfig({
  // The demo server serves this app at /svelte/ (examples/server/src/server.ts, DEMO_APPS).
  base: '/svelte/',
  plugins: [svelte()],
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
