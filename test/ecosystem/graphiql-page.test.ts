import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphiql } from '../../src/transport/graphiql.js';

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer(graphiql(true, '/graphql', (_req, res) => res.writeHead(404).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

/** The options the page hands to GraphiQL: the last argument of its render call. */
async function pageOptions(): Promise<Record<string, unknown>> {
  const html = await (await fetch(url, { headers: { accept: 'text/html' } })).text();
  const call = /renderYogaGraphiQL\(\s*window\.document\.querySelector\('#root'\),\s*(\{.*\}),\s*\);\s*<\/script>/s.exec(html.slice(-20_000));
  expect(call, 'the render call at the end of the page').not.toBeNull();
  return JSON.parse(call![1]!) as Record<string, unknown>;
}

describe('the GraphiQL page (no browser: the browser flow is browser.test.ts)', () => {
  it('prefills no header, so nothing stands in for a key, and keeps what the user types across reloads', async () => {
    const options = await pageOptions();
    for (const sent of ['headers', 'defaultHeaders', 'additionalHeaders', 'defaultTabs']) expect(options).not.toHaveProperty(sent);
    expect(options.shouldPersistHeaders).toBe(true);
  });

  it('says in its first query where the key is and where it goes', async () => {
    const { query, defaultQuery } = await pageOptions();
    expect(defaultQuery).toBe(query);
    expect(query).toContain('data/owner.key');
    expect(query).toContain('{"Authorization": "Bearer <the key>"}');
    expect(query).toMatch(/Shift-Ctrl-R/);
    // Every line but the query itself is a comment: running it as is asks only for the viewer.
    expect(String(query).split('\n').filter((l) => l.trim() && !l.startsWith('#'))).toEqual(['{ viewer { email isOwner } organization { name } }']);
  });
});
