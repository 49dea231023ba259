// A subscription lives for hours, its context with it: what each event shows of a user, a
// scope or a group must be read at that event, not cached from an earlier one (the
// per-request loaders once kept every record a subscription had ever resolved: stale after
// a rename, and growing with every user seen).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
  ok(await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "EDIT", level: ANY }]) { revision } }'));
  ok(await s.gql(s.ownerKey, 'mutation { createUser(input: { email: "ann@x.test", grants: [] }) { revision } }'));
});
afterAll(() => s?.stop());

type Push = { data?: { permissionChanged: { type: string; user: { email: string } | null } }; errors?: unknown };

async function collect(client: ReturnType<TestServer['ws']>, query: string, n: number, act: () => Promise<void>): Promise<Push[]> {
  const got: Push[] = [];
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const stop = client.subscribe<Push['data']>({ query }, { next: (m) => (got.push(m as Push), got.length === n && done()), error: (e) => { throw e; }, complete: () => {} });
  await new Promise((r) => setTimeout(r, 200));
  await act();
  await Promise.race([all, new Promise((r) => setTimeout(r, 10_000))]);
  stop();
  return got;
}

describe('a long subscription reads each event fresh', () => {
  it('permissionChanged shows a user under the e-mail it has at that event, over graphql-ws and SSE', async () => {
    const query = 'subscription { permissionChanged(filter: { types: [GRANT_ADDED, GRANT_REMOVED] }) { type user { email } } }';
    for (const client of [s.ws(s.ownerKey), s.sse(s.ownerKey)]) {
      const email = `ann-${Math.random().toString(36).slice(2, 8)}@x.test`;
      const pushes = await collect(client as ReturnType<TestServer['ws']>, query, 2, async () => {
        const current = ok(await s.gql(s.ownerKey, '{ users(first: 10, filter: { search: "ann" }) { edges { node { email } } } }')).users.edges[0].node.email;
        ok(await s.gql(s.ownerKey, `mutation { patchPermissions(patches: [{ user: "${current}", scope: "ORG", operation: ADD, permissions: ["EDIT"] }]) { revision } }`));
        ok(await s.gql(s.ownerKey, `mutation { updateUser(user: "${current}", input: { email: "${email}" }) { revision } }`));
        ok(await s.gql(s.ownerKey, `mutation { patchPermissions(patches: [{ user: "${email}", scope: "ORG", operation: DELETE, permissions: ["EDIT"] }]) { revision } }`));
      });
      expect(pushes.map((p) => p.data?.permissionChanged.type)).toEqual(['GRANT_ADDED', 'GRANT_REMOVED']);
      expect(pushes[1]!.data!.permissionChanged.user!.email).toBe(email);
    }
  });
});
