// Builds the dashboard into web/dist, served by `logistis serve` at /ui/.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: import.meta.dirname,
  base: '/ui/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  // `npx vite` in web/ proxies the API to a local `logistis serve --auth none` on 8443.
  server: { proxy: { '/api': { target: 'https://127.0.0.1:8443', secure: false } } },
});
