import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startServer, type TestServer } from '../helpers/server.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP request, headers exactly as a browser would send them (Origin included). */
function send(url: string, method: 'OPTIONS' | 'POST', headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const preflight = (s: TestServer, origin: string) =>
  send(s.url, 'OPTIONS', { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-act-as' });
const simple = (s: TestServer, origin: string) =>
  send(s.url, 'POST', { origin, 'content-type': 'application/json', authorization: `Bearer ${s.ownerKey}` }, JSON.stringify({ query: '{ viewer { email } }' }));

describe('CORS: GRANTQL_CORS_ORIGINS', () => {
  describe('default: every origin, never with credentials', () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer();
    });
    afterAll(() => s.stop());

    it('a preflight from any origin is answered *, with the methods and the headers asked for, and no credentials', async () => {
      const r = await preflight(s, 'https://anywhere.example');
      expect(r.status).toBe(204);
      expect(r.headers['access-control-allow-origin']).toBe('*');
      expect(r.headers['access-control-allow-credentials']).toBeUndefined();
      expect(r.headers['access-control-allow-methods']).toBe('GET, POST, OPTIONS');
      expect(r.headers['access-control-allow-headers']).toBe('authorization, content-type, x-act-as');
      expect(Number(r.headers['access-control-max-age'])).toBeGreaterThan(0);
    });

    it('a request from any origin is answered * without credentials, and answered as usual', async () => {
      const r = await simple(s, 'https://anywhere.example');
      expect(r.status).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBe('*');
      expect(r.headers['access-control-allow-credentials']).toBeUndefined();
      expect(r.headers['access-control-expose-headers']).toBe('x-request-id');
      expect(JSON.parse(r.body).data.viewer.email).toBe('owner@test.local');
    });
  });

  describe('a list of origins', () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer({ config: { corsOrigins: loadConfig({ GRANTQL_CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).corsOrigins } });
    });
    afterAll(() => s.stop());

    it('an origin on the list is echoed, in preflights and requests, never with credentials, and caches are told it varies by Origin', async () => {
      for (const origin of ['https://app.example.com', 'http://localhost:5173']) {
        const pre = await preflight(s, origin);
        expect(pre.status).toBe(204);
        expect(pre.headers['access-control-allow-origin']).toBe(origin);
        expect(pre.headers.vary).toMatch(/Origin/);
        const r = await simple(s, origin);
        expect(r.headers['access-control-allow-origin']).toBe(origin);
        expect(r.headers['access-control-allow-credentials']).toBeUndefined();
        expect(r.headers.vary).toMatch(/Origin/);
      }
    });

    it('any other origin (another port, another scheme, "null") gets no CORS headers, so its browser keeps the answer from the page', async () => {
      for (const origin of ['https://evil.example', 'http://app.example.com', 'https://app.example.com:8443', 'null']) {
        const pre = await preflight(s, origin);
        expect(pre.status).toBe(204);
        expect(pre.headers['access-control-allow-origin']).toBeUndefined();
        expect(pre.headers['access-control-allow-methods']).toBeUndefined();
        const r = await simple(s, origin);
        expect(r.headers['access-control-allow-origin']).toBeUndefined();
        expect(r.headers['access-control-allow-credentials']).toBeUndefined();
        expect(r.headers.vary).toMatch(/Origin/);
      }
    });
  });

  it('the list is read as browsers send origins (case, default port, a trailing slash), and every entry that is not an origin is named', () => {
    expect(loadConfig({ GRANTQL_CORS_ORIGINS: 'HTTPS://App.Example.com:443/ , http://localhost:5173' }).corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(loadConfig({}).corsOrigins).toBe('*');
    let message = '';
    try {
      loadConfig({ GRANTQL_CORS_ORIGINS: 'https://app.example.com/login,app.example.com,https://ok.example' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain('GRANTQL_CORS_ORIGINS');
    expect(message).toContain('"https://app.example.com/login" is not an origin (no path, query or credentials): did you mean https://app.example.com?');
    expect(message).toContain('"app.example.com" is not an origin');
    expect(() => loadConfig({ GRANTQL_CORS_ORIGINS: '*,https://ok.example' })).toThrow(/\* already allows every origin/);
  });
});
