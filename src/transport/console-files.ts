import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/** Where `npm run build:console` writes the console (console/vite.config.ts), from the package root. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../dist/console', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.txt', '.map']);

export type Encoding = 'br' | 'gzip' | 'identity';

export interface Asset {
  type: string;
  etag: string;
  /** Vite names every asset by its content's hash: cached for a year. index.html is revalidated. */
  immutable: boolean;
  /** The file in the best encoding of those asked for that suits it (small or binary files: identity). */
  body(encoding: Encoding): Promise<{ data: Buffer; encoding: Encoding }>;
}

function asset(file: string, immutable: boolean): Asset {
  const identity = readFileSync(file);
  const ext = extname(file);
  const encoded = new Map<Encoding, Promise<Buffer>>([['identity', Promise.resolve(identity)]]);
  const compressible = COMPRESSIBLE.has(ext) && identity.length > 1024;
  return {
    type: TYPES[ext] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`,
    immutable,
    body(encoding) {
      const wanted = compressible ? encoding : 'identity';
      let body = encoded.get(wanted);
      if (body) return body.then((data) => ({ data, encoding: wanted }));
      {
        // Once per file and encoding, off the event loop; every later response writes the same buffer.
        body =
          wanted === 'gzip'
            ? promisify(gzip)(identity, { level: 9 })
            : promisify(brotliCompress)(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length } });
        body.catch(() => encoded.delete(wanted));
        encoded.set(wanted, body);
      }
      return body.then((data) => ({ data, encoding: wanted }));
    },
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

/**
 * The built console, read once: URL path (under `base`) → file. Only what the build wrote
 * can be served, so no request path ever reaches the file system. Null while it is not
 * built (looked for again at most every 2 s, so a build made after the start is found).
 */
export function consoleFiles(dir: string, base: string): () => Map<string, Asset> | null {
  let files: Map<string, Asset> | null = null;
  let lookedAt = 0;
  return () => {
    if (files || Date.now() - lookedAt < 2000) return files;
    lookedAt = Date.now();
    if (!existsSync(join(dir, 'index.html'))) return null;
    const map = new Map<string, Asset>();
    for (const file of walk(dir)) {
      const path = relative(dir, file).split(sep).join('/');
      map.set(`${base}/${path}`, asset(file, path.startsWith('assets/')));
    }
    const index = map.get(`${base}/index.html`)!;
    map.set(base, index);
    map.set(`${base}/`, index);
    files = map;
    return files;
  };
}
