import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [react()],
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
