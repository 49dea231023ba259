import { createHash } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/**
 * GraphiQL is a ~9 MB page. It is rendered once per process, on first use, and kept
 * as one buffer per encoding; every response writes that same buffer, so a thousand
 * browsers (or slow readers) cost a socket each, never a copy of the page each.
 */

type Encoding = 'br' | 'gzip' | 'identity';

/**
 * Nothing that is sent is prefilled: a placeholder in the headers editor went out as a key
 * and failed the first introspection. Where the key goes is said in the first tab's query.
 * GraphiQL keeps the headers editor in the browser's storage across reloads
 * (shouldPersistHeaders; its settings can turn that off); a new tab starts with no headers,
 * as GraphiQL gives new tabs only `defaultHeaders`, which would have to hold the key.
 */
const DEFAULT_QUERY = `# Welcome to grantql.
#
# Every request needs an API key. The owner's key is in data/owner.key (in the
# server's GRANTQL_DATA_DIR), written at the first start: cat data/owner.key
#
# Open "Headers" below and put
#
#   {"Authorization": "Bearer <the key>"}
#
# then re-fetch the schema (Shift-Ctrl-R, or the re-fetch button on the left) and
# run this query (Ctrl-Enter). This browser keeps the headers for your next visit
# (Settings: persist headers); a new tab starts without them.

{ viewer { email isOwner } organization { name } }
`;

// `query` is what yoga's page opens with (read by its renderer, absent from its option type);
// `defaultQuery` is what GraphiQL falls back to.
const OPTIONS = { title: 'grantql', query: DEFAULT_QUERY, defaultQuery: DEFAULT_QUERY, shouldPersistHeaders: true };

let renders = 0;
let rendered: Promise<{ identity: Buffer; etag: string }> | null = null;
const encoded = new Map<Encoding, Promise<Buffer>>();

/** How many times this process rendered the page (tests prove it is once). */
export const graphiqlRenders = (): number => renders;

function render() {
  rendered ??= (async () => {
    // Loaded only when a browser first asks: the renderer module alone is ~9 MB.
    const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
    renders++;
    const identity = Buffer.from(renderGraphiQL(OPTIONS), 'utf8');
    // Weak: one validator for every encoding of the same page.
    return { identity, etag: `W/"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"` };
  })();
  rendered.catch(() => (rendered = null));
  return rendered;
}

function bodyOf(encoding: Encoding): Promise<Buffer> {
  let body = encoded.get(encoding);
  if (!body) {
    body = render().then(({ identity }) => {
      if (encoding === 'identity') return identity;
      // Off the event loop (zlib's thread pool); brotli at quality 5 is ~0.2 s for 9 MB, 11 would be ~10 s.
      if (encoding === 'gzip') return promisify(gzip)(identity, { level: 6 });
      return promisify(brotliCompress)(identity, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length },
      });
    });
    body.catch(() => encoded.delete(encoding));
    encoded.set(encoding, body);
  }
  return body;
}

/** The best encoding the client accepts (q=0 refuses one), identity when none fits. */
export function chooseEncoding(acceptEncoding: string | undefined): Encoding {
  const q = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name) continue;
    const weight = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    q.set(name, weight === undefined ? 1 : Number(weight));
  }
  const accepts = (name: string) => (q.get(name) ?? q.get('*') ?? 0) > 0;
  if (accepts('br')) return 'br';
  if (accepts('gzip')) return 'gzip';
  return 'identity';
}

function wantsGraphiQL(req: IncomingMessage, endpoint: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (!req.headers.accept?.includes('text/html')) return false;
  const path = (req.url ?? '/').split('?')[0];
  return path === endpoint || path === `${endpoint}/`;
}

const matches = (ifNoneMatch: string | undefined, etag: string) =>
  !!ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === etag.replace(/^W\//, ''));

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const encoding = chooseEncoding(req.headers['accept-encoding'] as string | undefined);
  const [{ etag }, body] = await Promise.all([render(), bodyOf(encoding)]);
  const headers: Record<string, string | number> = {
    'content-type': 'text/html; charset=utf-8',
    etag,
    // The page holds no key and changes only with a new release: revalidate, then 304.
    'cache-control': 'no-cache',
    vary: 'Accept-Encoding',
  };
  if (matches(req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers).end();
    return;
  }
  if (encoding !== 'identity') headers['content-encoding'] = encoding;
  headers['content-length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Answers a browser's GET /graphql with GraphiQL before the request reaches yoga;
 * everything else goes to `next`. With `enabled` false it only passes requests on.
 */
export function graphiql(enabled: boolean, endpoint: string, next: RequestListener): RequestListener {
  if (!enabled) return next;
  return (req, res) => {
    if (!wantsGraphiQL(req, endpoint)) return next(req, res);
    serve(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('GraphiQL is unavailable right now\n');
      else res.destroy();
    });
  };
}
