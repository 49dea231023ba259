import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import { consoleFiles, type Asset } from './console-files.js';
import { chooseEncoding } from './graphiql.js';

export const CONSOLE_PATH = '/console';

/**
 * Only this origin: the console's own scripts and styles (no inline code, no CDN), and its
 * requests to /graphql (connect-src 'self' covers the same-origin WebSocket too). No framing.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const NOT_BUILT =
  'The console is not built. Build it with "npm run build:console" (npm ci and npm start do when the dev dependencies are installed), then reload.\n';

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}) {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra }).end(text);
}

const matches = (ifNoneMatch: string | undefined, etag: string) => !!ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === '*' || t.trim() === etag);

async function send(req: IncomingMessage, res: ServerResponse, file: Asset): Promise<void> {
  const encoding = chooseEncoding(req.headers['accept-encoding'] as string | undefined);
  const headers: Record<string, string | number> = {
    ...SECURITY_HEADERS,
    'content-type': file.type,
    etag: file.etag,
    'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    vary: 'Accept-Encoding',
  };
  if (matches(req.headers['if-none-match'], file.etag)) return void res.writeHead(304, headers).end();
  const body = await file.body(encoding);
  if (body.encoding !== 'identity') headers['content-encoding'] = body.encoding;
  headers['content-length'] = body.data.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body.data);
}

/**
 * Serves the built console (dist/console) at /console when GRANTQL_CONSOLE is on; every
 * other request goes to `next`. Off, /console is not special: yoga answers 404 like any
 * unknown path. The page holds no key; it asks for one and sends it in a header.
 */
export function consolePages(config: Pick<Config, 'console' | 'consoleDir'>, next: RequestListener): RequestListener {
  if (!config.console) return next;
  const files = consoleFiles(config.consoleDir, CONSOLE_PATH);
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== CONSOLE_PATH && !path.startsWith(`${CONSOLE_PATH}/`)) return next(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'The console is read with GET.\n', { allow: 'GET, HEAD' });
    const built = files();
    if (!built) return plain(res, 503, NOT_BUILT, { 'retry-after': '5' });
    const file = built.get(path);
    if (!file) return plain(res, 404, `Not found: ${path.slice(0, 200)}\n`);
    send(req, res, file).catch(() => (res.headersSent ? res.destroy() : plain(res, 503, 'The console is unavailable right now.\n')));
  };
}
