import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [react()],
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
      '/socket.io': { target: 'http://localhost:3000', ws: true },
    },
  },
  build: { sourcemap: true },
})
