import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [react()],
  // `pnpm dev` serves the app with hot reload; live data comes from the demo server on :3000.
  server: { proxy: { '/live': 'http://localhost:3000' } },
  build: { sourcemap: true },
})
