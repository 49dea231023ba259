import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// `npm run example:web` serves this page; `npm run example:build` writes examples/web/dist.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: { outDir: 'dist', emptyOutDir: true },
  server: { host: '127.0.0.1', port: 5173 },
});
