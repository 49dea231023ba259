import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const at = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// `npm run build:console` writes dist/console, which the server serves at /console
// (src/transport/console.ts); `npm run console:dev` serves it with hot reload on :5174,
// forwarding /graphql (HTTP and WebSocket) to a server on :4000.
export default defineConfig({
  root: at('.'),
  base: '/console/',
  resolve: {
    // grantql/client and grantql/react as their TypeScript source, as tsconfig "paths" says.
    alias: { 'grantql/client': at('../src/client/index.ts'), 'grantql/react': at('../src/react/index.ts') },
  },
  build: { outDir: at('../dist/console'), emptyOutDir: true, assetsInlineLimit: 0, reportCompressedSize: false },
  server: { host: '127.0.0.1', port: 5174, proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true } } },
});
