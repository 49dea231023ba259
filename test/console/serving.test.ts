import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { CONSOLE_CSP } from '../../src/transport/console.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { buildConsole } from './harness.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw HTTP request (the path exactly as given: fetch would normalize "..") */
function get(t: TestServer, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: t.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GRANTQL_CONSOLE', () => {
  it('is on by default, off with NODE_ENV=production unless asked, and a bad value is named', () => {
    expect(loadConfig({}).console).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development' }).console).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).console).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', GRANTQL_CONSOLE: 'true' }).console).toBe(true);
    expect(loadConfig({ GRANTQL_CONSOLE: 'false' }).console).toBe(false);
    expect(() => loadConfig({ GRANTQL_CONSOLE: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({ GRANTQL_CONSOLE: 'maybe' })).toThrow(/GRANTQL_CONSOLE/);
  });
});

describe('the console at /console', () => {
  let dir: string;
  let s: TestServer;
  let index: string;
  beforeAll(async () => {
    dir = await buildConsole();
    s = await startServer({ config: { console: true, consoleDir: dir } });
    index = readFileSync(join(dir, 'index.html'), 'utf8');
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page with a CSP of its own origin only, and no inline script or outside address in it', async () => {
    for (const path of ['/console', '/console/', '/console/index.html', '/console/?x=1']) {
      const r = await get(s, path);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.body.toString()).toBe(index);
    }
    expect(CONSOLE_CSP).toMatch(/default-src 'none'/);
    expect(CONSOLE_CSP.match(/https?:|\*|unsafe/g)).toBeNull();
    const refs = [...index.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThanOrEqual(2);
    for (const ref of refs) expect(ref, 'every script and style is ours, under /console/assets').toMatch(/^\/console\/assets\/[\w.-]+\.(js|css)$/);
    expect(index).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
  });

  it('serves the scripts and styles with their content types, compressed, cached for good, and revalidated with 304', async () => {
    const [js, css] = [/src="([^"]+\.js)"/.exec(index)![1]!, /href="([^"]+\.css)"/.exec(index)![1]!];
    const plain = await get(s, js);
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toContain('/graphql');
    const br = await get(s, js, { 'accept-encoding': 'br, gzip' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    const gz = await get(s, js, { 'accept-encoding': 'gzip' });
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    expect((await get(s, css)).headers['content-type']).toBe('text/css; charset=utf-8');
    const again = await get(s, js, { 'if-none-match': String(plain.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const head = await get(s, js, {}, 'HEAD');
    expect([head.status, head.body.length, head.headers['content-length']]).toEqual([200, 0, String(plain.body.length)]);
  });

  it('serves only what the build wrote: traversal, unknown paths and other methods get nothing from the disk', async () => {
    for (const path of ['/console/../package.json', '/console/..%2fpackage.json', '/console/%2e%2e/%2e%2e/package.json', '/console/assets/../../../package.json', '/console/nope.js', '/console/src/main.tsx']) {
      const r = await get(s, path);
      expect(r.status, path).toBe(404);
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(r.body.toString()).not.toContain('"dependencies"');
    }
    const post = await get(s, '/console/', { 'content-type': 'application/json' }, 'POST');
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
    // The API is where it was; a path that only starts like the console is not the console.
    expect((await get(s, '/consoles')).status).toBe(404);
    expect((await s.gql(s.ownerKey, '{ viewer { email } }')).data.viewer.email).toBe('owner@test.local');
  });
});

describe('the console switched off, or not built', () => {
  it('off: /console and its assets are 404, like any unknown path', async () => {
    const dir = await buildConsole();
    const s = await startServer({ config: { console: false, consoleDir: dir } });
    try {
      const js = /src="([^"]+\.js)"/.exec(readFileSync(join(dir, 'index.html'), 'utf8'))![1]!;
      for (const path of ['/console', '/console/', js]) expect((await get(s, path, { accept: 'text/html' })).status, path).toBe(404);
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('on but not built: 503 saying how to build it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'grantql-console-none-'));
    const s = await startServer({ config: { console: true, consoleDir: empty } });
    try {
      const r = await get(s, '/console/');
      expect(r.status).toBe(503);
      expect(r.body.toString()).toContain('npm run build:console');
    } finally {
      await s.stop();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
