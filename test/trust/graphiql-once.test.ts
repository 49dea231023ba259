import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphiqlRenders } from '../../src/transport/graphiql.js';
import { startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => s?.stop());

interface Page {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** GET /graphql as a browser asks for GraphiQL, with exactly the headers given (fetch would add its own). */
function page(t: TestServer, headers: Record<string, string> = {}): Promise<Page> {
  return new Promise((resolve, reject) => {
    const req = request(t.url, { headers: { accept: 'text/html,application/xhtml+xml', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A browser that asks for GraphiQL and then reads nothing more than the first bytes. */
function slowReader(t: TestServer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(t.port, '127.0.0.1', () => socket.write('GET /graphql HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n'));
    socket.once('data', () => {
      socket.pause();
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

describe('GraphiQL', () => {
  it('is rendered once and shared: many unread GraphiQL responses neither render it again nor hold a copy each', async () => {
    const first = await page(s);
    expect(first.status).toBe(200);
    expect(first.body.toString('utf8').toLowerCase()).toContain('graphiql');
    expect(first.body.length).toBeGreaterThan(1_000_000);
    const rssBefore = process.memoryUsage().rss;
    const readers = await Promise.all(Array.from({ length: 60 }, () => slowReader(s)));
    try {
      await new Promise((r) => setTimeout(r, 300));
      // Each unread response used to hold its own rendering (~9 MB string plus its ~9 MB encoding).
      const grown = process.memoryUsage().rss - rssBefore;
      expect(grown).toBeLessThan(150 * 1024 * 1024);
      expect(graphiqlRenders()).toBe(1);
      // The server still answers while they hang on.
      expect((await fetch(s.url.replace(/\/graphql$/, '/health'))).status).toBe(200);
    } finally {
      for (const r of readers) r.destroy();
    }
  });

  it('is served gzip- or brotli-compressed by Accept-Encoding, identical once decoded, identity otherwise', async () => {
    const plain = await page(s);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-type']).toMatch(/^text\/html/);
    expect(plain.headers.vary).toMatch(/accept-encoding/i);
    const gzip = await page(s, { 'accept-encoding': 'gzip, deflate' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.body.length).toBeLessThan(plain.body.length / 3);
    expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
    const br = await page(s, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body.length).toBeLessThan(plain.body.length / 3);
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    // An encoding refused with q=0 is not used.
    expect((await page(s, { 'accept-encoding': 'br;q=0, gzip' })).headers['content-encoding']).toBe('gzip');
    expect(graphiqlRenders()).toBe(1);
  });

  it('carries an ETag and Cache-Control, and answers 304 with no body to If-None-Match', async () => {
    const full = await page(s, { 'accept-encoding': 'gzip' });
    const etag = full.headers.etag as string;
    expect(etag).toMatch(/^(W\/)?"[^"]+"$/);
    expect(full.headers['cache-control']).toMatch(/no-cache|max-age/);
    const again = await page(s, { 'accept-encoding': 'gzip', 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    expect((await page(s, { 'if-none-match': '"something-else"' })).status).toBe(200);
    expect((await page(s, { 'if-none-match': `"x", ${etag}` })).status).toBe(304);
  });

  it('answers HEAD with the headers only', async () => {
    const head = await new Promise<{ status: number; length: string | undefined; body: number }>((resolve, reject) => {
      const req = request(s.url, { method: 'HEAD', headers: { accept: 'text/html' } }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve({ status: res.statusCode!, length: res.headers['content-length'], body: n }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(head.status).toBe(200);
    expect(Number(head.length)).toBeGreaterThan(1_000_000);
    expect(head.body).toBe(0);
  });

  it('stays off with GRANTQL_GRAPHIQL=false: a browser gets no GraphiQL and nothing is rendered for it', async () => {
    const off = await startServer({ config: { graphiql: false } });
    try {
      const before = graphiqlRenders();
      const r = await page(off, { 'accept-encoding': 'gzip' });
      expect(r.body.toString('utf8').toLowerCase()).not.toContain('graphiql');
      expect(graphiqlRenders()).toBe(before);
    } finally {
      await off.stop();
    }
  });
});
