import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

function refuse(res: ServerResponse, status: number, message: string, code = 'BAD_USER_INPUT'): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  // Connection: close, so Node does not read the rest of a refused body to keep the socket.
  const auth = status === 401 ? { 'www-authenticate': 'Bearer' } : {};
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close', ...auth });
  res.end(body);
}

function tooLarge(res: ServerResponse, maxBytes: number, expose: boolean, keyless: boolean): void {
  if (keyless) {
    return refuse(res, 401, `without an API key a request body may be at most ${maxBytes} bytes: send Authorization: Bearer <key>`, 'UNAUTHENTICATED');
  }
  refuse(res, 413, expose ? `the request body is larger than the limit of ${maxBytes} bytes` : 'the request body is too large');
}

/**
 * Refuses a request body above `maxBytes` with 413 before yoga reads or parses it,
 * and multipart bodies with 415: the schema takes no uploads, and yoga's multipart
 * parser answers a malformed one with an internal error. Without an Authorization
 * header the limit is `keylessBytes`, refused with 401 UNAUTHENTICATED (see keyless.ts).
 *
 * A declared Content-Length is checked up front (Node never reads past it); a
 * chunked body is buffered up to the limit and handed on as `req.body`, which the
 * whatwg-node adapter uses instead of the (then consumed) stream.
 */
export function limitBody(limit: number, expose: boolean, next: RequestListener, keylessBytes = limit): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (/^\s*multipart\//i.test(req.headers['content-type'] ?? '')) {
      return refuse(res, 415, 'multipart requests are not supported: send application/json');
    }
    const keyless = !req.headers.authorization && keylessBytes < limit;
    const maxBytes = keyless ? keylessBytes : limit;
    const declared = req.headers['content-length'];
    if (declared !== undefined) {
      if (Number(declared) > maxBytes) return tooLarge(res, maxBytes, expose, keyless);
      return next(req, res);
    }
    if (req.headers['transfer-encoding'] === undefined) return next(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > maxBytes) {
        refused = true;
        chunks.length = 0;
        tooLarge(res, maxBytes, expose, keyless);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      (req as IncomingMessage & { body?: unknown }).body = size > 0 ? Buffer.concat(chunks) : undefined;
      next(req, res);
    });
    req.on('error', () => res.destroy());
  };
}
